"""Turning a pending message into apprise calls: one Apprise object per channel, timeouts on each."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlencode

import apprise
from pymongo.database import Database

from portal_notification import devices
from portal_notification.config import NotificationConfig

logging.getLogger("apprise").setLevel(logging.WARNING)  # its debug output can contain target URLs


class AppriseSender:
    """Callable used by the Dispatcher; the URLs it builds hold credentials and are never logged."""

    def __init__(self, db: Database, config: NotificationConfig) -> None:
        self.db = db
        self.config = config
        self.servers = {"ntfy": config.ntfy_url, "gotify": config.gotify_url}

    def email_url(self, to: str, headers: dict[str, str]) -> str:
        c = self.config
        auth = f"{quote(c.smtp_user, safe='')}:{quote(c.smtp_password, safe='')}@" if c.smtp_user else ""
        params = {
            "mode": c.smtp_mode,
            "from": c.mail_from,
            "to": to,
            "format": "text",
            "cto": c.send_timeout_seconds,
            "rto": c.send_timeout_seconds,
        }
        params |= {f"+{name}": value for name, value in headers.items()}
        return f"mailto://{auth}{c.smtp_host}:{c.smtp_port}?{urlencode(params)}"

    def __call__(self, message: dict[str, Any]) -> tuple[bool, str]:
        notifier = apprise.Apprise()
        if message["channel"] == "email":
            notifier.add(self.email_url(message["to"], message.get("headers", {})))
        else:
            for device in self.db[devices.DEVICES].find({"account_id": message["account_id"]}):
                url = devices.apprise_url(device, self.servers, self.config.send_timeout_seconds)
                if url:
                    notifier.add(url)
            if len(notifier) == 0:
                return True, "no push device any more"
        result = notifier.notify(title=message["subject"], body=message["body"])
        return bool(result), "" if result else "apprise reported a failure"
