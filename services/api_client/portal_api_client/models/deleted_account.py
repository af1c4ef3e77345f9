from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
from typing import Literal, cast
import datetime






T = TypeVar("T", bound="DeletedAccount")



@_attrs_define
class DeletedAccount:
    """ 
        Attributes:
            status (Literal['deleted']):
            message (str):
            deleted_at (datetime.datetime):
     """

    status: Literal['deleted']
    message: str
    deleted_at: datetime.datetime





    def to_dict(self) -> dict[str, Any]:
        status = self.status

        message = self.message

        deleted_at = self.deleted_at.isoformat()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "status": status,
            "message": message,
            "deleted_at": deleted_at,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        status = cast(Literal['deleted'] , d.pop("status"))
        if status != 'deleted':
            raise ValueError(f"status must match const 'deleted', got '{status}'")

        message = d.pop("message")

        deleted_at = datetime.datetime.fromisoformat(d.pop("deleted_at"))




        deleted_account = cls(
            status=status,
            message=message,
            deleted_at=deleted_at,
        )

        return deleted_account

