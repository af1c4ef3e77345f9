from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.activity_entry_type import ActivityEntryType
from typing import cast
import datetime

if TYPE_CHECKING:
  from ..models.activity_entry_details import ActivityEntryDetails





T = TypeVar("T", bound="ActivityEntry")



@_attrs_define
class ActivityEntry:
    """ 
        Attributes:
            event_id (str):
            type_ (ActivityEntryType):
            label (str): En français, à afficher
            source (str):
            occurred_at (datetime.datetime):
            details (ActivityEntryDetails):
     """

    event_id: str
    type_: ActivityEntryType
    label: str
    source: str
    occurred_at: datetime.datetime
    details: ActivityEntryDetails





    def to_dict(self) -> dict[str, Any]:
        from ..models.activity_entry_details import ActivityEntryDetails # noqa: PLC0415
        event_id = self.event_id

        type_ = self.type_.value

        label = self.label

        source = self.source

        occurred_at = self.occurred_at.isoformat()

        details = self.details.to_dict()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "event_id": event_id,
            "type": type_,
            "label": label,
            "source": source,
            "occurred_at": occurred_at,
            "details": details,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.activity_entry_details import ActivityEntryDetails # noqa: PLC0415
        d = dict(src_dict)
        event_id = d.pop("event_id")

        type_ = ActivityEntryType(d.pop("type"))




        label = d.pop("label")

        source = d.pop("source")

        occurred_at = datetime.datetime.fromisoformat(d.pop("occurred_at"))




        details = ActivityEntryDetails.from_dict(d.pop("details"))




        activity_entry = cls(
            event_id=event_id,
            type_=type_,
            label=label,
            source=source,
            occurred_at=occurred_at,
            details=details,
        )

        return activity_entry

