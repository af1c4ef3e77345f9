from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast
import datetime






T = TypeVar("T", bound="GenerateBody")



@_attrs_define
class GenerateBody:
    """ 
        Attributes:
            year (int | Unset): Année civile (préréglage)
            period_start (datetime.date | Unset): AAAA-MM-JJ
            period_end (datetime.date | Unset): AAAA-MM-JJ
            account_id (str | Unset): Famille concernée (agents seulement ; une famille voit la sienne)
     """

    year: int | Unset = UNSET
    period_start: datetime.date | Unset = UNSET
    period_end: datetime.date | Unset = UNSET
    account_id: str | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        year = self.year

        period_start: str | Unset = UNSET
        if not isinstance(self.period_start, Unset):
            period_start = self.period_start.isoformat()

        period_end: str | Unset = UNSET
        if not isinstance(self.period_end, Unset):
            period_end = self.period_end.isoformat()

        account_id = self.account_id


        field_dict: dict[str, Any] = {}

        field_dict.update({
        })
        if year is not UNSET:
            field_dict["year"] = year
        if period_start is not UNSET:
            field_dict["period_start"] = period_start
        if period_end is not UNSET:
            field_dict["period_end"] = period_end
        if account_id is not UNSET:
            field_dict["account_id"] = account_id

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        year = d.pop("year", UNSET)

        _period_start = d.pop("period_start", UNSET)
        period_start: datetime.date | Unset
        if isinstance(_period_start,  Unset):
            period_start = UNSET
        else:
            period_start = datetime.date.fromisoformat(_period_start)




        _period_end = d.pop("period_end", UNSET)
        period_end: datetime.date | Unset
        if isinstance(_period_end,  Unset):
            period_end = UNSET
        else:
            period_end = datetime.date.fromisoformat(_period_end)




        account_id = d.pop("account_id", UNSET)

        generate_body = cls(
            year=year,
            period_start=period_start,
            period_end=period_end,
            account_id=account_id,
        )

        return generate_body

