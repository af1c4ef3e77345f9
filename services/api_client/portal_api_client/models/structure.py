from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="Structure")



@_attrs_define
class Structure:
    """ 
        Attributes:
            name (str):
            address (str):
            postal_code (str):
            city (str):
            email (str):
            phone (str):
     """

    name: str
    address: str
    postal_code: str
    city: str
    email: str
    phone: str





    def to_dict(self) -> dict[str, Any]:
        name = self.name

        address = self.address

        postal_code = self.postal_code

        city = self.city

        email = self.email

        phone = self.phone


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "name": name,
            "address": address,
            "postal_code": postal_code,
            "city": city,
            "email": email,
            "phone": phone,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        address = d.pop("address")

        postal_code = d.pop("postal_code")

        city = d.pop("city")

        email = d.pop("email")

        phone = d.pop("phone")

        structure = cls(
            name=name,
            address=address,
            postal_code=postal_code,
            city=city,
            email=email,
            phone=phone,
        )

        return structure

