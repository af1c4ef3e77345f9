from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="RegisterDeviceBodySubscriptionKeys")



@_attrs_define
class RegisterDeviceBodySubscriptionKeys:
    """ 
        Attributes:
            p256dh (str):
            auth (str):
     """

    p256dh: str
    auth: str





    def to_dict(self) -> dict[str, Any]:
        p256dh = self.p256dh

        auth = self.auth


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "p256dh": p256dh,
            "auth": auth,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        p256dh = d.pop("p256dh")

        auth = d.pop("auth")

        register_device_body_subscription_keys = cls(
            p256dh=p256dh,
            auth=auth,
        )

        return register_device_body_subscription_keys

