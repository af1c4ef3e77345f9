"""What billing's views, servicer and consumer are handed: the ledger and the statements, built once."""

from __future__ import annotations

from dataclasses import dataclass

from portal_billing_statement import store
from portal_billing_statement.config import BillingConfig
from portal_billing_statement.ledger import Ledger
from portal_billing_statement.render import PdfRenderer
from portal_billing_statement.statements import Statements
from portal_common.service import ServiceContext, connect

NAME = "billing-statement"


@dataclass(kw_only=True)
class Context(ServiceContext):
    config: BillingConfig
    ledger: Ledger
    statements: Statements

    @classmethod
    def build(cls, config: BillingConfig) -> Context:
        connected = connect(NAME, config.common, store.INDEXES, store.OUTBOX_COLLECTIONS)
        outbox = connected.outbox
        renderer = PdfRenderer(config.wkhtmltopdf, config.render_concurrency, config.render_timeout_s)
        statements = Statements(
            outbox,
            renderer,
            config.structure_name,
            cache_bytes=config.statement_cache_mib * 1024 * 1024,
            renders_per_hour=config.renders_per_hour,
            kept=config.statements_kept,
        )
        return cls(
            **connected.fields(),
            config=config,
            ledger=Ledger(outbox),
            statements=statements,
        )
