from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.notification_target_kind import NotificationTargetKind






T = TypeVar("T", bound="NotificationTarget")



@_attrs_define
class NotificationTarget:
    """ 
        Attributes:
            kind (NotificationTargetKind):
            id (str):
     """

    kind: NotificationTargetKind
    id: str





    def to_dict(self) -> dict[str, Any]:
        kind = self.kind.value

        id = self.id


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "kind": kind,
            "id": id,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        kind = NotificationTargetKind(d.pop("kind"))




        id = d.pop("id")

        notification_target = cls(
            kind=kind,
            id=id,
        )

        return notification_target

