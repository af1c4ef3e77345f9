"""`python -m portal_billing_statement [serve|migrate]`."""

from __future__ import annotations

import argparse
import sys

from portal_billing_statement.app import Billing, create_runtime
from portal_billing_statement.config import BillingConfig
from portal_common.config import ConfigError
from portal_common.logs import configure_logging


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portal-billing-statement")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate"])
    args = parser.parse_args(argv)
    try:
        config = BillingConfig.from_env()
    except ConfigError as exc:
        print(f"billing-statement: {exc}", file=sys.stderr)
        return 2
    configure_logging("billing-statement", config.common.log_level)
    service = Billing.build(config)
    if args.command == "serve":
        create_runtime(service).serve_forever()
    else:
        print("indexes ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
