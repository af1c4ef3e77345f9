from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.push_device_kind import PushDeviceKind
from typing import cast
import datetime






T = TypeVar("T", bound="PushDevice")



@_attrs_define
class PushDevice:
    """ 
        Attributes:
            device_id (str):
            kind (PushDeviceKind):
            label (str): Nom du support, affiché à la famille
            target_hint (str): Les 4 derniers caractères de la cible
            created_at (datetime.datetime):
     """

    device_id: str
    kind: PushDeviceKind
    label: str
    target_hint: str
    created_at: datetime.datetime





    def to_dict(self) -> dict[str, Any]:
        device_id = self.device_id

        kind = self.kind.value

        label = self.label

        target_hint = self.target_hint

        created_at = self.created_at.isoformat()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "device_id": device_id,
            "kind": kind,
            "label": label,
            "target_hint": target_hint,
            "created_at": created_at,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        device_id = d.pop("device_id")

        kind = PushDeviceKind(d.pop("kind"))




        label = d.pop("label")

        target_hint = d.pop("target_hint")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        push_device = cls(
            device_id=device_id,
            kind=kind,
            label=label,
            target_hint=target_hint,
            created_at=created_at,
        )

        return push_device

