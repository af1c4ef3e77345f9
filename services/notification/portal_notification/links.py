"""Activation and password-reset links, asked from identity over gRPC when the email goes out.

The events announcing them carry no secret (identity keeps it). A message that needs a link holds
the event's id and the page's path, and its stored body holds `PLACEHOLDER` where the link goes:
the link exists only in the email itself, never in a delivery record or the feed.
"""

from __future__ import annotations

from typing import Any

import grpc

from portal.identity.v1 import identity_pb2, identity_pb2_grpc
from portal_common.grpc_tls import GrpcClient, GrpcTls
from portal_notification.delivery import GiveUp

PLACEHOLDER = "[lien dans l'e-mail]"


class LinkGone(GiveUp):
    """Identity has nothing to issue (the link was used, replaced by a newer request, or expired)."""


class IdentityLinks:
    """`IdentityService/IssueLink` on one mutual-TLS channel, shared by the delivery workers (channels are
    thread-safe), rebuilt when notification's certificate is renewed."""

    def __init__(self, target: str, public_url: str, timeout_s: float, tls: GrpcTls | None) -> None:
        self.client = GrpcClient(target, "identity", tls)  # as `notification`, the only caller IssueLink admits
        self.public_url = public_url
        self.timeout_s = timeout_s

    def fill(self, message: dict[str, Any]) -> dict[str, Any]:
        """The message with its link in place (unchanged when it needs none); LinkGone, or grpc.RpcError to retry."""
        if not message.get("link_event_id"):
            return message
        request = identity_pb2.IssueLinkRequest(event_id=message["link_event_id"])
        try:
            stub = identity_pb2_grpc.IdentityServiceStub(self.client.channel())
            token = stub.IssueLink(request, timeout=self.timeout_s).token
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                raise LinkGone(error.details() or "link gone") from None
            raise
        link = f"{self.public_url}{message['link_path']}?token={token}"
        return {**message, "body": message["body"].replace(PLACEHOLDER, link)}

    def close(self) -> None:
        self.client.close()
