"""What billing consumes from `account-events`: the accounts projection; a purge pseudonymises the ledger."""

from __future__ import annotations

from portal_billing_statement.context import Context
from portal_common.accounts import AccountsProjection


def accounts(ctx: Context) -> AccountsProjection:
    return AccountsProjection(ctx.db, on_purged=ctx.statements.purge)
