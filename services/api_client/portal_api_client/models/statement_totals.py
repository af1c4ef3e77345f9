from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="StatementTotals")



@_attrs_define
class StatementTotals:
    """ 
        Attributes:
            invoiced_cents (int): Montant en centimes d'euro
            paid_cents (int): Montant en centimes d'euro
     """

    invoiced_cents: int
    paid_cents: int





    def to_dict(self) -> dict[str, Any]:
        invoiced_cents = self.invoiced_cents

        paid_cents = self.paid_cents


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "invoiced_cents": invoiced_cents,
            "paid_cents": paid_cents,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        invoiced_cents = d.pop("invoiced_cents")

        paid_cents = d.pop("paid_cents")

        statement_totals = cls(
            invoiced_cents=invoiced_cents,
            paid_cents=paid_cents,
        )

        return statement_totals

