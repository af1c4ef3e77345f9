"""gRPC `portal.notification.v1.NotificationService`: preferences other services read and change."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import json_format

from portal.notification.v1 import notification_pb2, notification_pb2_grpc
from portal_common.grpc_server import translate_problems
from portal_common.grpc_tls import BACK_OFFICE
from portal_common.problems import Problem
from portal_notification import store
from portal_notification.context import Context
from portal_notification.preferences import PATHS, SCHEMA


def to_message(account_id: str, prefs: dict[str, Any]) -> notification_pb2.Preferences:
    return json_format.ParseDict({"account_id": account_id, **prefs}, notification_pb2.Preferences())


def patch_from_mask(message: notification_pb2.Preferences, paths: list[str]) -> dict[str, bool]:
    """The values the mask names, read from the message: a category the caller left unset reads as its
    default, all off (AIP-161: a field in the mask but not in the message is cleared)."""
    patch: dict[str, bool] = {}
    for path in paths:
        if path in SCHEMA and SCHEMA[path] is not bool:  # a whole category
            category = getattr(message, path)
            patch |= {f"{path}.{key}": bool(getattr(category, key)) for key in SCHEMA[path]}
        elif path in PATHS:
            head, _, tail = path.partition(".")
            value = getattr(getattr(message, head), tail) if tail else getattr(message, head)
            patch[path] = bool(value)
        else:
            raise Problem(400, f"Chemin de masque inconnu : {path}.")
    return patch


# Services that change a family's preferences: the structure's back office by default; others by name with
# GRPC_CALLERS (e.g. `UpdatePreferences=dossier`), as the chart's services.notification.env sets it.
CALLERS = {"GetPreferences": [BACK_OFFICE], "UpdatePreferences": [BACK_OFFICE]}


class NotificationServicer(notification_pb2_grpc.NotificationServiceServicer):
    def __init__(self, ctx: Context) -> None:
        self.db = ctx.db
        self.preferences = ctx.preferences

    def _structure(self, account_id: str) -> str:
        contact = store.contact(self.db, account_id)
        if contact is None:
            raise Problem(404, "Compte inconnu du service de notification.")
        return contact.get("structure_id", "")

    @translate_problems
    def GetPreferences(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._structure(request.account_id)
        return to_message(request.account_id, self.preferences.get(request.account_id))

    @translate_problems
    def UpdatePreferences(self, request: Any, context: grpc.ServicerContext) -> Any:
        account_id = request.preferences.account_id
        structure = self._structure(account_id)
        if not request.update_mask.paths:
            raise Problem(400, "update_mask est obligatoire : il dit quelles préférences changer.")
        patch = patch_from_mask(request.preferences, list(request.update_mask.paths))
        updated = self.preferences.change(account_id, structure, patch, actor=request.actor or "service")
        return to_message(account_id, updated)
