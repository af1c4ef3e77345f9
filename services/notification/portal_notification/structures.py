"""The structure's name at the top of each email ("Ville de Montreuil" rather than a platform's name), asked from
billing (`BillingService/GetStructure`, which the structure's invoicing system keeps) when the email goes out.

An email never waits on this: no target, no record yet, billing away or slow, and the email is signed with the
sender's name instead. Names are kept for STRUCTURE_CACHE_SECONDS (a miss for a tenth of it), so a flood of
emails asks billing once per structure, not once per email.
"""

from __future__ import annotations

import logging
import threading
import time

import grpc

from portal.billing.v1 import billing_pb2, billing_pb2_grpc
from portal_common.grpc_tls import GrpcClient, GrpcTls

log = logging.getLogger(__name__)


class StructureNames:
    def __init__(self, target: str, tls: GrpcTls | None, *, timeout_s: float, cache_s: float) -> None:
        self.client = GrpcClient(target, "billing-statement", tls) if target else None
        self.timeout_s = timeout_s
        self.cache_s = cache_s
        self._known: dict[str, tuple[str | None, float]] = {}  # structure id -> (name, until)
        self._lock = threading.Lock()

    def name(self, structure_id: str | None) -> str | None:
        """The structure's name, or None when it cannot be had now."""
        if self.client is None or not structure_id:
            return None
        now = time.monotonic()
        with self._lock:
            known = self._known.get(structure_id)
        if known is not None and known[1] > now:
            return known[0]
        found = self._ask(structure_id)
        keep = self.cache_s if found else self.cache_s / 10
        with self._lock:
            self._known[structure_id] = (found, now + keep)
        return found

    def _ask(self, structure_id: str) -> str | None:
        assert self.client is not None
        try:
            stub = billing_pb2_grpc.BillingServiceStub(self.client.channel())
            record = stub.GetStructure(
                billing_pb2.GetStructureRequest(structure_id=structure_id), timeout=self.timeout_s
            )
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:
                log.warning("structure %s not named: billing answered %s", structure_id, error.code().name)
            return None
        return record.name or None

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
