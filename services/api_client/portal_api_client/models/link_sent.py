from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="LinkSent")



@_attrs_define
class LinkSent:
    """ 
        Attributes:
            sent_to (str): L'adresse où le lien est parti
     """

    sent_to: str





    def to_dict(self) -> dict[str, Any]:
        sent_to = self.sent_to


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "sent_to": sent_to,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        sent_to = d.pop("sent_to")

        link_sent = cls(
            sent_to=sent_to,
        )

        return link_sent

