"""`python -m portal_billing_statement [serve|migrate]`."""

from __future__ import annotations

import sys

from portal_billing_statement.app import Billing, create_runtime
from portal_billing_statement.config import BillingConfig
from portal_common.service import main as service_main


def main(argv: list[str] | None = None) -> int:
    return service_main(
        argv,
        name="billing-statement",
        load_config=BillingConfig.from_env,
        build=Billing.build,
        create_runtime=create_runtime,
    )


if __name__ == "__main__":
    sys.exit(main())
