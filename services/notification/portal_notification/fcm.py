"""Native-app push through Firebase Cloud Messaging (HTTP v1 API), with apprise's `fcm` plugin.

The family's phone app hands in its FCM registration token. The portal authenticates to FCM with a
Google service account (the JSON key file Firebase gives, from a mounted secret): apprise exchanges
a JWT signed with that key for an OAuth access token at the file's `token_uri`, then POSTs to
`fcm.googleapis.com`. An outbound proxy, when the cluster requires one, comes from `HTTPS_PROXY`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from cryptography.hazmat.primitives import serialization

from portal_common.problems import Problem

# FCM documents no format; today's tokens are ~160 characters of these, and Google asks not to
# assume a length, hence the generous bound.
TOKEN = re.compile(r"^[A-Za-z0-9_:-]{32,4096}$")
INVALID_TOKEN = Problem(
    422,
    "Jeton FCM invalide (32 à 4096 caractères : lettres, chiffres, : _ -).",
    fields=["target"],
)
PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,61}[a-z0-9]$")


@dataclass(frozen=True)
class Fcm:
    service_account_file: str
    project_id: str

    @classmethod
    def load(cls, path: str) -> Fcm:
        """Checks the key file at start-up, so a bad secret stops the start, not the first push."""
        with open(path, encoding="utf-8") as key_file:
            content = json.load(key_file)
        if not isinstance(content, dict) or content.get("type") != "service_account":
            raise ValueError(f"{path}: not a Google service account key file")
        missing = [k for k in ("project_id", "client_email", "private_key_id", "private_key") if not content.get(k)]
        if missing:
            raise ValueError(f"{path}: missing {', '.join(missing)}")
        if not PROJECT.match(content["project_id"]):
            raise ValueError(f"{path}: invalid project_id")
        serialization.load_pem_private_key(content["private_key"].encode(), password=None)
        return cls(service_account_file=path, project_id=content["project_id"])

    @staticmethod
    def token(value: object) -> str:
        if not isinstance(value, str) or not TOKEN.match(value):
            raise INVALID_TOKEN
        return value

    def url(self, token: str, timeout_s: float) -> str:
        query = {"keyfile": self.service_account_file, "cto": timeout_s, "rto": timeout_s}
        return f"fcm://{self.project_id}/{quote(token, safe='')}?{urlencode(query)}"
