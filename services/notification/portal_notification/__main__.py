"""`python -m portal_notification [serve|migrate]`."""

from __future__ import annotations

import argparse
import sys

from portal_common.config import ConfigError
from portal_common.logs import configure_logging
from portal_notification.app import Notification, create_runtime
from portal_notification.config import NotificationConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portal-notification")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate"])
    args = parser.parse_args(argv)
    try:
        config = NotificationConfig.from_env()
    except ConfigError as exc:
        print(f"notification: {exc}", file=sys.stderr)
        return 2
    configure_logging("notification", config.common.log_level)
    service = Notification.build(config)
    if args.command == "serve":
        create_runtime(service).serve_forever()
    else:
        print("indexes ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
