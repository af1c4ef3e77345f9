from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="ChangeContactEmailBody")



@_attrs_define
class ChangeContactEmailBody:
    """ 
        Attributes:
            contact_email (str):
            password (str):
     """

    contact_email: str
    password: str





    def to_dict(self) -> dict[str, Any]:
        contact_email = self.contact_email

        password = self.password


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "contact_email": contact_email,
            "password": password,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        contact_email = d.pop("contact_email")

        password = d.pop("password")

        change_contact_email_body = cls(
            contact_email=contact_email,
            password=password,
        )

        return change_contact_email_body

