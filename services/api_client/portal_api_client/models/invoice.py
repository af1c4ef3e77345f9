from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.invoice_payment_status import InvoicePaymentStatus
from typing import cast
from typing import Literal, cast
import datetime

if TYPE_CHECKING:
  from ..models.invoice_lines_item import InvoiceLinesItem





T = TypeVar("T", bound="Invoice")



@_attrs_define
class Invoice:
    """ 
        Attributes:
            invoice_id (str):
            number (str):
            issue_date (datetime.date):
            due_date (datetime.date):
            currency (Literal['EUR']):
            amount_cents (int): Montant en centimes d'euro
            paid_cents (int): Montant en centimes d'euro
            payment_status (InvoicePaymentStatus):
            lines (list[InvoiceLinesItem]):
     """

    invoice_id: str
    number: str
    issue_date: datetime.date
    due_date: datetime.date
    currency: Literal['EUR']
    amount_cents: int
    paid_cents: int
    payment_status: InvoicePaymentStatus
    lines: list[InvoiceLinesItem]





    def to_dict(self) -> dict[str, Any]:
        from ..models.invoice_lines_item import InvoiceLinesItem # noqa: PLC0415
        invoice_id = self.invoice_id

        number = self.number

        issue_date = self.issue_date.isoformat()

        due_date = self.due_date.isoformat()

        currency = self.currency

        amount_cents = self.amount_cents

        paid_cents = self.paid_cents

        payment_status = self.payment_status.value

        lines = []
        for lines_item_data in self.lines:
            lines_item = lines_item_data.to_dict()
            lines.append(lines_item)




        field_dict: dict[str, Any] = {}

        field_dict.update({
            "invoice_id": invoice_id,
            "number": number,
            "issue_date": issue_date,
            "due_date": due_date,
            "currency": currency,
            "amount_cents": amount_cents,
            "paid_cents": paid_cents,
            "payment_status": payment_status,
            "lines": lines,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.invoice_lines_item import InvoiceLinesItem # noqa: PLC0415
        d = dict(src_dict)
        invoice_id = d.pop("invoice_id")

        number = d.pop("number")

        issue_date = datetime.date.fromisoformat(d.pop("issue_date"))




        due_date = datetime.date.fromisoformat(d.pop("due_date"))




        currency = cast(Literal['EUR'] , d.pop("currency"))
        if currency != 'EUR':
            raise ValueError(f"currency must match const 'EUR', got '{currency}'")

        amount_cents = d.pop("amount_cents")

        paid_cents = d.pop("paid_cents")

        payment_status = InvoicePaymentStatus(d.pop("payment_status"))




        lines = []
        _lines = d.pop("lines")
        for lines_item_data in (_lines):
            lines_item = InvoiceLinesItem.from_dict(lines_item_data)



            lines.append(lines_item)


        invoice = cls(
            invoice_id=invoice_id,
            number=number,
            issue_date=issue_date,
            due_date=due_date,
            currency=currency,
            amount_cents=amount_cents,
            paid_cents=paid_cents,
            payment_status=payment_status,
            lines=lines,
        )

        return invoice

