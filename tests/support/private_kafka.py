"""A second, private Kafka broker that a test may stop and start (the shared one stays up)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from deploy.local import kafka_security
from portal_common.kafka_client import KafkaAccess
from tests.support.env import STACK_SCRIPT


class PrivateKafka:
    def __init__(
        self, run_dir: Path, port: int = 29092, controller_port: int = 29093, *, plaintext: bool = False
    ) -> None:
        """`plaintext`: no TLS, SCRAM or ACLs, a benchmark's baseline only (stack.sh KAFKA_SECURITY)."""
        self.bootstrap = f"127.0.0.1:{port}"
        self.kafka_dir = run_dir / "kafka"  # its own CA and principals
        if plaintext:
            self.access = KafkaAccess(self.bootstrap, "PLAINTEXT")
        else:
            self.access = kafka_security.access(self.kafka_dir, self.bootstrap)
        self.env = {
            **os.environ,
            "PORTAL_RUN_DIR": str(run_dir),
            "KAFKA_PORT": str(port),
            "KAFKA_CONTROLLER_PORT": str(controller_port),
            "KAFKA_SECURITY": "plaintext" if plaintext else "scram",
        }

    def _stack(self, *args: str) -> None:
        subprocess.run(["bash", str(STACK_SCRIPT), *args], env=self.env, check=True, timeout=180)

    def start(self) -> None:
        self._stack("up", "kafka")

    def stop(self) -> None:
        self._stack("down", "kafka")
