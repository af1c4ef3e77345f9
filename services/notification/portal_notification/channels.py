"""Turning a pending message into apprise calls: one Apprise object per message, timeouts on each,
run in worker processes (see `apprise_process`)."""

from __future__ import annotations

from concurrent.futures import TimeoutError as FutureTimeout
from email.utils import parseaddr
from typing import Any
from urllib.parse import quote, urlencode

from pymongo.database import Database

from portal_notification import apprise_process, devices, email_html
from portal_notification.config import NotificationConfig
from portal_notification.links import IdentityLinks
from portal_notification.structures import StructureNames


class AppriseSender:
    """Callable used by the Dispatcher; the URLs it builds hold credentials and are never logged."""

    def __init__(self, db: Database, config: NotificationConfig, links: IdentityLinks, structures: StructureNames):
        self.db = db
        self.config = config
        self.links = links
        self.structures = structures
        self.servers = config.push_offer().servers
        self.web_push = config.web_push
        self.fcm = config.fcm
        self.processes = apprise_process.create_pool(config.send_processes)
        # Named at the top of each email when the family's structure cannot be.
        self.sender = parseaddr(config.mail_from)[0] or "Portail famille"
        # apprise applies the connect and read timeouts itself; this only bounds a wedged worker.
        self.wait_s = config.send_timeout_seconds * 4 + 10

    def email_url(self, to: str, headers: dict[str, str]) -> str:
        c = self.config
        auth = f"{quote(c.smtp_user, safe='')}:{quote(c.smtp_password, safe='')}@" if c.smtp_user else ""
        params = {
            "mode": c.smtp_mode,
            "from": c.mail_from,
            "to": to,
            "format": "html",  # apprise sends multipart/alternative: this HTML and a text part derived from it
            "cto": c.send_timeout_seconds,
            "rto": c.send_timeout_seconds,
        }
        params |= {f"+{name}": value for name, value in headers.items()}
        return f"mailto://{auth}{c.smtp_host}:{c.smtp_port}?{urlencode(params)}"

    def push_targets(
        self, account_id: str
    ) -> tuple[list[str], apprise_process.WebPushJob | None, apprise_process.FcmJob | None]:
        """The family's devices: ntfy/Gotify URLs sent together, browsers and phones one by one."""
        timeout_s = self.config.send_timeout_seconds
        urls, subscriptions, phones = [], [], {}
        for device in self.db[devices.DEVICES].find({"account_id": account_id}):
            if device["kind"] == "webpush":
                subscriptions.append(device["subscription"])
            elif device["kind"] == "fcm":
                if self.fcm is not None:
                    phones[device["target"]] = self.fcm.url(device["target"], timeout_s)
            elif url := devices.apprise_url(device, self.servers, timeout_s):
                urls.append(url)
        web_push = None
        if subscriptions and self.web_push is not None:
            w = self.web_push
            web_push = apprise_process.WebPushJob(subscriptions, w.key_file, w.subscriber, timeout_s)
        return urls, web_push, apprise_process.FcmJob(phones) if phones else None

    def __call__(self, message: dict[str, Any]) -> tuple[bool, str]:
        web_push = fcm = None
        message = self.links.fill(message)  # the activation or reset link, in this email only
        if message["channel"] == "email":
            urls = [self.email_url(message["to"], message.get("headers", {}))]
        else:
            urls, web_push, fcm = self.push_targets(message["account_id"])
            if not urls and web_push is None and fcm is None:
                return True, "no push device any more"
        title, body = message["subject"], message["body"]
        if message["channel"] == "email":
            sender = self.structures.name(message.get("structure_id")) or self.sender
            body = email_html.render(title, body, sender)
        future = self.processes.submit(apprise_process.notify, urls, title, body, web_push, fcm)
        try:
            sent, error, gone = future.result(timeout=self.wait_s)
        except FutureTimeout:
            return False, f"no answer from the sending process within {self.wait_s:.0f} s"
        if gone:  # expired subscriptions and tokens: forget them, so the retry and later messages skip them
            query = {
                "account_id": message["account_id"],
                "kind": {"$in": list(devices.SENT_ONE_BY_ONE)},
                "target": {"$in": gone},
            }
            self.db[devices.DEVICES].delete_many(query)
        return sent, error

    def close(self) -> None:
        self.processes.shutdown(wait=True, cancel_futures=True)
        self.links.close()
        self.structures.close()
