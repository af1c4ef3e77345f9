"""gRPC `portal.billing.v1.BillingService`: ledger ingestion from the invoicing system, statements."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import json_format

from portal.billing.v1 import billing_pb2, billing_pb2_grpc
from portal_billing_statement import structures
from portal_billing_statement.context import Context
from portal_billing_statement.ledger import family
from portal_common.grpc_server import translate_problems
from portal_common.grpc_tls import INVOICING
from portal_common.problems import Problem


def _enum_name(value: str, prefix: str) -> str:
    return value[len(prefix) :] if value.startswith(prefix) else value


def invoice_request(request: Any) -> dict[str, Any]:
    data = json_format.MessageToDict(
        request, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    for line in data.get("lines", []):
        line["billing_mode"] = _enum_name(line.get("billing_mode", ""), "BILLING_MODE_")
        line["kind"] = _enum_name(line.get("kind", ""), "LINE_KIND_")
        for key in ("quantity", "unit_price_cents", "amount_cents"):
            line[key] = int(line.get(key, 0))  # int64 travels as a string in JSON form
    return data


def to_invoice(invoice: dict[str, Any]) -> billing_pb2.Invoice:
    message = billing_pb2.Invoice(
        invoice_id=invoice["invoice_id"],
        external_id=invoice["external_id"],
        number=invoice["number"],
        account_id=invoice["account_id"],
        structure_id=invoice["structure_id"],
        issue_date=invoice["issue_date"],
        due_date=invoice["due_date"],
        currency=invoice["currency"],
        amount_cents=invoice["amount_cents"],
        paid_cents=invoice["paid_cents"],
        payment_status=invoice["payment_status"],
    )
    for line in invoice["lines"]:
        message.lines.add(
            child=billing_pb2.Child(**line["child"]),
            activity=line["activity"],
            billing_mode=billing_pb2.BillingMode.Value(f"BILLING_MODE_{line['billing_mode']}"),
            service_start=line["service_start"],
            service_end=line["service_end"],
            quantity=line["quantity"],
            unit_price_cents=line["unit_price_cents"],
            amount_cents=line["amount_cents"],
            kind=billing_pb2.LineKind.Value(f"LINE_KIND_{line['kind']}"),
        )
    return message


# The ledger is fed by the structure's invoicing system, and no one else (caller: its certificate's name).
CALLERS = {
    method: [INVOICING]
    for method in (
        "RecordInvoice",
        "RecordPayment",
        "SetPaymentStatus",
        "ReportDirectDebitRefused",
        "SendUnpaidReminder",
        "BlockOnlinePayment",
        "GenerateStatement",
        "SetChildResidence",
        "SetStructure",
    )
} | {"GetStructure": [INVOICING, "notification"]}  # notification names the structure at the top of its emails


class BillingServicer(billing_pb2_grpc.BillingServiceServicer):
    def __init__(self, ctx: Context) -> None:
        self.ledger = ctx.ledger
        self.statements = ctx.statements

    @translate_problems
    def RecordInvoice(self, request: Any, context: grpc.ServicerContext) -> Any:
        data = invoice_request(request)
        invoice = self.ledger.record_invoice(request.structure_id, request.account_id, request.external_id, data)
        return to_invoice(invoice)

    @translate_problems
    def RecordPayment(self, request: Any, context: grpc.ServicerContext) -> Any:
        method = _enum_name(billing_pb2.PaymentMethod.Name(request.method), "PAYMENT_METHOD_")
        payment = self.ledger.record_payment(
            request.structure_id,
            request.external_id,
            request.invoice_external_id,
            request.paid_on,
            request.amount_cents,
            method,
        )
        return billing_pb2.Payment(
            payment_id=payment["payment_id"],
            external_id=payment["external_id"],
            invoice_id=self.ledger.invoice(request.structure_id, request.invoice_external_id)["invoice_id"],
            paid_on=payment["paid_on"],
            amount_cents=payment["amount_cents"],
            method=request.method,
        )

    def _action(self, request: Any, event_type: str, payload: dict[str, Any], status: str | None = None) -> Any:
        invoice = self.ledger.invoice_action(
            request.structure_id, request.invoice_external_id, request.event_key, event_type, payload, status
        )
        return to_invoice(invoice)

    @translate_problems
    def SetPaymentStatus(self, request: Any, context: grpc.ServicerContext) -> Any:
        invoice = self.ledger.invoice(request.structure_id, request.invoice_external_id)
        return self._action(
            request,
            "invoice.payment_status_changed",
            {"status": request.status, "paid_cents": invoice["paid_cents"], "amount_cents": invoice["amount_cents"]},
            status=request.status,
        )

    @translate_problems
    def ReportDirectDebitRefused(self, request: Any, context: grpc.ServicerContext) -> Any:
        invoice = self.ledger.invoice(request.structure_id, request.invoice_external_id)
        return self._action(
            request, "invoice.direct_debit_refused", {"amount_cents": invoice["amount_cents"], "reason": request.reason}
        )

    @translate_problems
    def SendUnpaidReminder(self, request: Any, context: grpc.ServicerContext) -> Any:
        invoice = self.ledger.invoice(request.structure_id, request.invoice_external_id)
        return self._action(
            request,
            "invoice.unpaid_reminder",
            {"amount_due_cents": invoice["amount_cents"] - invoice["paid_cents"], "due_date": invoice["due_date"]},
        )

    @translate_problems
    def BlockOnlinePayment(self, request: Any, context: grpc.ServicerContext) -> Any:
        return self._action(request, "invoice.online_payment_blocked", {"reason": request.reason})

    @translate_problems
    def SetChildResidence(self, request: Any, context: grpc.ServicerContext) -> Any:
        child = self.ledger.set_child_residence(
            request.structure_id, request.account_id, request.child.name, request.child.birth_date, request.alternating
        )
        return billing_pb2.ChildResidence(
            child=billing_pb2.Child(name=child["name"], birth_date=child["birth_date"]),
            alternating=child["alternating"],
        )

    @translate_problems
    def SetStructure(self, request: Any, context: grpc.ServicerContext) -> Any:
        fields = json_format.MessageToDict(request, preserving_proto_field_name=True)
        return billing_pb2.Structure(**structures.set_structure(self.statements.db, request.structure_id, fields))

    @translate_problems
    def GetStructure(self, request: Any, context: grpc.ServicerContext) -> Any:
        found = structures.find(self.statements.db, request.structure_id)
        if found is None:
            raise Problem(404, "Cette structure n'a pas encore de fiche.")
        return billing_pb2.Structure(structure_id=request.structure_id, **found)

    @translate_problems
    def GenerateStatement(self, request: Any, context: grpc.ServicerContext) -> Any:
        account = family(self.statements.db, request.account_id, request.structure_id)
        if account["status"] != "active":
            raise Problem(404, "Famille introuvable.")
        statement = self.statements.generate(account, request.period_start, request.period_end)
        totals = statement["view"]["totals"]
        return billing_pb2.Statement(
            statement_id=statement["_id"],
            number=statement["number"],
            account_id=statement["account_id"],
            period_start=statement["view"]["period_start"],
            period_end=statement["view"]["period_end"],
            invoiced_cents=totals["invoiced_cents"],
            paid_cents=totals["paid_cents"],
        )
