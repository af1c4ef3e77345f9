from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset






T = TypeVar("T", bound="CreateFamilyAccountBody")



@_attrs_define
class CreateFamilyAccountBody:
    """ 
        Attributes:
            login (str):
            display_name (str):
            contact_email (str | Unset):
     """

    login: str
    display_name: str
    contact_email: str | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        login = self.login

        display_name = self.display_name

        contact_email = self.contact_email


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "login": login,
            "display_name": display_name,
        })
        if contact_email is not UNSET:
            field_dict["contact_email"] = contact_email

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        login = d.pop("login")

        display_name = d.pop("display_name")

        contact_email = d.pop("contact_email", UNSET)

        create_family_account_body = cls(
            login=login,
            display_name=display_name,
            contact_email=contact_email,
        )

        return create_family_account_body

