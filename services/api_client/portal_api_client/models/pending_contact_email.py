from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
import datetime






T = TypeVar("T", bound="PendingContactEmail")



@_attrs_define
class PendingContactEmail:
    """ 
        Attributes:
            contact_email (str):
            expires_at (datetime.datetime):
     """

    contact_email: str
    expires_at: datetime.datetime





    def to_dict(self) -> dict[str, Any]:
        contact_email = self.contact_email

        expires_at = self.expires_at.isoformat()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "contact_email": contact_email,
            "expires_at": expires_at,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        contact_email = d.pop("contact_email")

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))




        pending_contact_email = cls(
            contact_email=contact_email,
            expires_at=expires_at,
        )

        return pending_contact_email

