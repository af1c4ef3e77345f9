from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
import datetime

if TYPE_CHECKING:
  from ..models.statement_totals import StatementTotals





T = TypeVar("T", bound="StatementSummary")



@_attrs_define
class StatementSummary:
    """ 
        Attributes:
            statement_id (str):
            number (str):
            period_start (datetime.date):
            period_end (datetime.date):
            issued_on (datetime.date):
            created_at (datetime.datetime):
            totals (StatementTotals):
     """

    statement_id: str
    number: str
    period_start: datetime.date
    period_end: datetime.date
    issued_on: datetime.date
    created_at: datetime.datetime
    totals: StatementTotals





    def to_dict(self) -> dict[str, Any]:
        from ..models.statement_totals import StatementTotals # noqa: PLC0415
        statement_id = self.statement_id

        number = self.number

        period_start = self.period_start.isoformat()

        period_end = self.period_end.isoformat()

        issued_on = self.issued_on.isoformat()

        created_at = self.created_at.isoformat()

        totals = self.totals.to_dict()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "statement_id": statement_id,
            "number": number,
            "period_start": period_start,
            "period_end": period_end,
            "issued_on": issued_on,
            "created_at": created_at,
            "totals": totals,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.statement_totals import StatementTotals # noqa: PLC0415
        d = dict(src_dict)
        statement_id = d.pop("statement_id")

        number = d.pop("number")

        period_start = datetime.date.fromisoformat(d.pop("period_start"))




        period_end = datetime.date.fromisoformat(d.pop("period_end"))




        issued_on = datetime.date.fromisoformat(d.pop("issued_on"))




        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        totals = StatementTotals.from_dict(d.pop("totals"))




        statement_summary = cls(
            statement_id=statement_id,
            number=number,
            period_start=period_start,
            period_end=period_end,
            issued_on=issued_on,
            created_at=created_at,
            totals=totals,
        )

        return statement_summary

