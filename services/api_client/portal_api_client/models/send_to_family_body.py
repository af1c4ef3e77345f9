from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field
import json
from .. import types

from ..types import UNSET, Unset

from ..types import File, FileTypes
from ..types import UNSET, Unset
from io import BytesIO






T = TypeVar("T", bound="SendToFamilyBody")



@_attrs_define
class SendToFamilyBody:
    """ 
        Attributes:
            file (File): PDF, PNG ou JPEG
            title (str): Titre affiché
            category (str | Unset):
            message (str | Unset): Mot pour la famille
     """

    file: File
    title: str
    category: str | Unset = UNSET
    message: str | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        file = self.file.to_tuple()


        title = self.title

        category = self.category

        message = self.message


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "file": file,
            "title": title,
        })
        if category is not UNSET:
            field_dict["category"] = category
        if message is not UNSET:
            field_dict["message"] = message

        return field_dict


    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("file", self.file.to_tuple()))



        files.append(("title", (None, str(self.title).encode(), "text/plain")))



        if not isinstance(self.category, Unset):
            files.append(("category", (None, str(self.category).encode(), "text/plain")))



        if not isinstance(self.message, Unset):
            files.append(("message", (None, str(self.message).encode(), "text/plain")))





        return files


    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        file = File(
             payload = BytesIO(d.pop("file"))
        )




        title = d.pop("title")

        category = d.pop("category", UNSET)

        message = d.pop("message", UNSET)

        send_to_family_body = cls(
            file=file,
            title=title,
            category=category,
            message=message,
        )

        return send_to_family_body

