"""What the views are handed: settings, the browser-session store and the API client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from pymongo.database import Database

from portal_web.api import Api
from portal_web.config import WebConfig
from portal_web.sessions import SessionStore

CONTEXT = "portal.web"


@dataclass(frozen=True)
class Context:
    config: WebConfig
    db: Database[dict[str, Any]]
    store: SessionStore
    api: Api


def ctx() -> Context:
    found: Context = current_app.extensions[CONTEXT]
    return found
