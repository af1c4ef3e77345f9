from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.document_content_type import DocumentContentType
from ..models.document_direction import DocumentDirection
from typing import cast
import datetime






T = TypeVar("T", bound="Document")



@_attrs_define
class Document:
    """ 
        Attributes:
            document_id (str):
            account_id (str):
            direction (DocumentDirection):
            title (str):
            category (str):
            message (str):
            filename (str):
            content_type (DocumentContentType):
            size (int): Octets
            sha256 (str):
            created_at (datetime.datetime):
            unread (bool): Reçu par la famille et jamais ouvert
            read_at (datetime.datetime | None):
     """

    document_id: str
    account_id: str
    direction: DocumentDirection
    title: str
    category: str
    message: str
    filename: str
    content_type: DocumentContentType
    size: int
    sha256: str
    created_at: datetime.datetime
    unread: bool
    read_at: datetime.datetime | None





    def to_dict(self) -> dict[str, Any]:
        document_id = self.document_id

        account_id = self.account_id

        direction = self.direction.value

        title = self.title

        category = self.category

        message = self.message

        filename = self.filename

        content_type = self.content_type.value

        size = self.size

        sha256 = self.sha256

        created_at = self.created_at.isoformat()

        unread = self.unread

        read_at: None | str
        if isinstance(self.read_at, datetime.datetime):
            read_at = self.read_at.isoformat()
        else:
            read_at = self.read_at


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "document_id": document_id,
            "account_id": account_id,
            "direction": direction,
            "title": title,
            "category": category,
            "message": message,
            "filename": filename,
            "content_type": content_type,
            "size": size,
            "sha256": sha256,
            "created_at": created_at,
            "unread": unread,
            "read_at": read_at,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        document_id = d.pop("document_id")

        account_id = d.pop("account_id")

        direction = DocumentDirection(d.pop("direction"))




        title = d.pop("title")

        category = d.pop("category")

        message = d.pop("message")

        filename = d.pop("filename")

        content_type = DocumentContentType(d.pop("content_type"))




        size = d.pop("size")

        sha256 = d.pop("sha256")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        unread = d.pop("unread")

        def _parse_read_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                read_at_type_0 = datetime.datetime.fromisoformat(data)



                return read_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        read_at = _parse_read_at(d.pop("read_at"))


        document = cls(
            document_id=document_id,
            account_id=account_id,
            direction=direction,
            title=title,
            category=category,
            message=message,
            filename=filename,
            content_type=content_type,
            size=size,
            sha256=sha256,
            created_at=created_at,
            unread=unread,
            read_at=read_at,
        )

        return document

