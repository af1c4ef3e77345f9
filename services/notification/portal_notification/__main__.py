"""`python -m portal_notification [serve|migrate]`."""

from __future__ import annotations

import sys

from portal_common.service import main as service_main
from portal_notification.app import Notification, create_runtime
from portal_notification.config import NotificationConfig


def main(argv: list[str] | None = None) -> int:
    return service_main(
        argv,
        name="notification",
        load_config=NotificationConfig.from_env,
        build=Notification.build,
        create_runtime=create_runtime,
    )


if __name__ == "__main__":
    sys.exit(main())
