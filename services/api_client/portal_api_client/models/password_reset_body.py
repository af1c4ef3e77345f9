from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="PasswordResetBody")



@_attrs_define
class PasswordResetBody:
    """ 
        Attributes:
            login (str):
     """

    login: str





    def to_dict(self) -> dict[str, Any]:
        login = self.login


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "login": login,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        login = d.pop("login")

        password_reset_body = cls(
            login=login,
        )

        return password_reset_body

