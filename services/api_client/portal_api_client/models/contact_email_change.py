from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.pending_contact_email import PendingContactEmail





T = TypeVar("T", bound="ContactEmailChange")



@_attrs_define
class ContactEmailChange:
    """ 
        Attributes:
            pending_contact_email (PendingContactEmail):
            message (str):
     """

    pending_contact_email: PendingContactEmail
    message: str





    def to_dict(self) -> dict[str, Any]:
        from ..models.pending_contact_email import PendingContactEmail # noqa: PLC0415
        pending_contact_email = self.pending_contact_email.to_dict()

        message = self.message


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "pending_contact_email": pending_contact_email,
            "message": message,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.pending_contact_email import PendingContactEmail # noqa: PLC0415
        d = dict(src_dict)
        pending_contact_email = PendingContactEmail.from_dict(d.pop("pending_contact_email"))




        message = d.pop("message")

        contact_email_change = cls(
            pending_contact_email=pending_contact_email,
            message=message,
        )

        return contact_email_change

