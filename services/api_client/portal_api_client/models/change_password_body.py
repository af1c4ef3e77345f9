from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset






T = TypeVar("T", bound="ChangePasswordBody")



@_attrs_define
class ChangePasswordBody:
    """ 
        Attributes:
            current_password (str):
            new_password (str):
            sign_out_other_sessions (bool | Unset):  Default: True.
     """

    current_password: str
    new_password: str
    sign_out_other_sessions: bool | Unset = True





    def to_dict(self) -> dict[str, Any]:
        current_password = self.current_password

        new_password = self.new_password

        sign_out_other_sessions = self.sign_out_other_sessions


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "current_password": current_password,
            "new_password": new_password,
        })
        if sign_out_other_sessions is not UNSET:
            field_dict["sign_out_other_sessions"] = sign_out_other_sessions

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        current_password = d.pop("current_password")

        new_password = d.pop("new_password")

        sign_out_other_sessions = d.pop("sign_out_other_sessions", UNSET)

        change_password_body = cls(
            current_password=current_password,
            new_password=new_password,
            sign_out_other_sessions=sign_out_other_sessions,
        )

        return change_password_body

