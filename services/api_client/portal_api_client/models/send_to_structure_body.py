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






T = TypeVar("T", bound="SendToStructureBody")



@_attrs_define
class SendToStructureBody:
    """ 
        Attributes:
            file (File): PDF, PNG ou JPEG
            title (str): Titre affiché
            comment (str | Unset): Mot pour la structure
     """

    file: File
    title: str
    comment: str | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        file = self.file.to_tuple()


        title = self.title

        comment = self.comment


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "file": file,
            "title": title,
        })
        if comment is not UNSET:
            field_dict["comment"] = comment

        return field_dict


    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("file", self.file.to_tuple()))



        files.append(("title", (None, str(self.title).encode(), "text/plain")))



        if not isinstance(self.comment, Unset):
            files.append(("comment", (None, str(self.comment).encode(), "text/plain")))





        return files


    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        file = File(
             payload = BytesIO(d.pop("file"))
        )




        title = d.pop("title")

        comment = d.pop("comment", UNSET)

        send_to_structure_body = cls(
            file=file,
            title=title,
            comment=comment,
        )

        return send_to_structure_body

