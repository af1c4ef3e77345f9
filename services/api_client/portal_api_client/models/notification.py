from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
import datetime

if TYPE_CHECKING:
  from ..models.notification_target import NotificationTarget





T = TypeVar("T", bound="Notification")



@_attrs_define
class Notification:
    """ 
        Attributes:
            notification_id (str):
            type_ (str):
            category (str):
            title (str): En français, à afficher
            body (str):
            created_at (datetime.datetime):
            target (None | NotificationTarget):
            read (bool):
     """

    notification_id: str
    type_: str
    category: str
    title: str
    body: str
    created_at: datetime.datetime
    target: None | NotificationTarget
    read: bool





    def to_dict(self) -> dict[str, Any]:
        from ..models.notification_target import NotificationTarget # noqa: PLC0415
        notification_id = self.notification_id

        type_ = self.type_

        category = self.category

        title = self.title

        body = self.body

        created_at = self.created_at.isoformat()

        target: dict[str, Any] | None
        if isinstance(self.target, NotificationTarget):
            target = self.target.to_dict()
        else:
            target = self.target

        read = self.read


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "notification_id": notification_id,
            "type": type_,
            "category": category,
            "title": title,
            "body": body,
            "created_at": created_at,
            "target": target,
            "read": read,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.notification_target import NotificationTarget # noqa: PLC0415
        d = dict(src_dict)
        notification_id = d.pop("notification_id")

        type_ = d.pop("type")

        category = d.pop("category")

        title = d.pop("title")

        body = d.pop("body")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        def _parse_target(data: object) -> None | NotificationTarget:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                target_type_0 = NotificationTarget.from_dict(data)



                return target_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | NotificationTarget, data)

        target = _parse_target(d.pop("target"))


        read = d.pop("read")

        notification = cls(
            notification_id=notification_id,
            type_=type_,
            category=category,
            title=title,
            body=body,
            created_at=created_at,
            target=target,
            read=read,
        )

        return notification

