from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
import datetime

if TYPE_CHECKING:
  from ..models.statement_children_item import StatementChildrenItem
  from ..models.statement_invoices_item import StatementInvoicesItem
  from ..models.statement_structure import StatementStructure
  from ..models.statement_tax_item import StatementTaxItem
  from ..models.statement_totals import StatementTotals





T = TypeVar("T", bound="Statement")



@_attrs_define
class Statement:
    """ 
        Attributes:
            statement_id (str):
            number (str):
            period_start (datetime.date):
            period_end (datetime.date):
            issued_on (datetime.date):
            created_at (datetime.datetime):
            totals (StatementTotals):
            children (list[StatementChildrenItem]): Enfants et activités facturées à la période
            invoices (list[StatementInvoicesItem]): Factures de la période et leurs paiements
            tax (list[StatementTaxItem]): Par année civile : ce que la famille a payé pour la garde
            structure_name (str):
            structure (StatementStructure):
            family_name (str):
     """

    statement_id: str
    number: str
    period_start: datetime.date
    period_end: datetime.date
    issued_on: datetime.date
    created_at: datetime.datetime
    totals: StatementTotals
    children: list[StatementChildrenItem]
    invoices: list[StatementInvoicesItem]
    tax: list[StatementTaxItem]
    structure_name: str
    structure: StatementStructure
    family_name: str





    def to_dict(self) -> dict[str, Any]:
        from ..models.statement_children_item import StatementChildrenItem # noqa: PLC0415
        from ..models.statement_invoices_item import StatementInvoicesItem # noqa: PLC0415
        from ..models.statement_structure import StatementStructure # noqa: PLC0415
        from ..models.statement_tax_item import StatementTaxItem # noqa: PLC0415
        from ..models.statement_totals import StatementTotals # noqa: PLC0415
        statement_id = self.statement_id

        number = self.number

        period_start = self.period_start.isoformat()

        period_end = self.period_end.isoformat()

        issued_on = self.issued_on.isoformat()

        created_at = self.created_at.isoformat()

        totals = self.totals.to_dict()

        children = []
        for children_item_data in self.children:
            children_item = children_item_data.to_dict()
            children.append(children_item)



        invoices = []
        for invoices_item_data in self.invoices:
            invoices_item = invoices_item_data.to_dict()
            invoices.append(invoices_item)



        tax = []
        for tax_item_data in self.tax:
            tax_item = tax_item_data.to_dict()
            tax.append(tax_item)



        structure_name = self.structure_name

        structure = self.structure.to_dict()

        family_name = self.family_name


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "statement_id": statement_id,
            "number": number,
            "period_start": period_start,
            "period_end": period_end,
            "issued_on": issued_on,
            "created_at": created_at,
            "totals": totals,
            "children": children,
            "invoices": invoices,
            "tax": tax,
            "structure_name": structure_name,
            "structure": structure,
            "family_name": family_name,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.statement_children_item import StatementChildrenItem # noqa: PLC0415
        from ..models.statement_invoices_item import StatementInvoicesItem # noqa: PLC0415
        from ..models.statement_structure import StatementStructure # noqa: PLC0415
        from ..models.statement_tax_item import StatementTaxItem # noqa: PLC0415
        from ..models.statement_totals import StatementTotals # noqa: PLC0415
        d = dict(src_dict)
        statement_id = d.pop("statement_id")

        number = d.pop("number")

        period_start = datetime.date.fromisoformat(d.pop("period_start"))




        period_end = datetime.date.fromisoformat(d.pop("period_end"))




        issued_on = datetime.date.fromisoformat(d.pop("issued_on"))




        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        totals = StatementTotals.from_dict(d.pop("totals"))




        children = []
        _children = d.pop("children")
        for children_item_data in (_children):
            children_item = StatementChildrenItem.from_dict(children_item_data)



            children.append(children_item)


        invoices = []
        _invoices = d.pop("invoices")
        for invoices_item_data in (_invoices):
            invoices_item = StatementInvoicesItem.from_dict(invoices_item_data)



            invoices.append(invoices_item)


        tax = []
        _tax = d.pop("tax")
        for tax_item_data in (_tax):
            tax_item = StatementTaxItem.from_dict(tax_item_data)



            tax.append(tax_item)


        structure_name = d.pop("structure_name")

        structure = StatementStructure.from_dict(d.pop("structure"))




        family_name = d.pop("family_name")

        statement = cls(
            statement_id=statement_id,
            number=number,
            period_start=period_start,
            period_end=period_end,
            issued_on=issued_on,
            created_at=created_at,
            totals=totals,
            children=children,
            invoices=invoices,
            tax=tax,
            structure_name=structure_name,
            structure=structure,
            family_name=family_name,
        )

        return statement

