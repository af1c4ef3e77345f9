"""A second, private Kafka broker that a test may stop and start (the shared one stays up)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from deploy.local import kafka_security
from tests.support.env import STACK_SCRIPT


class PrivateKafka:
    def __init__(self, run_dir: Path, port: int = 29092, controller_port: int = 29093) -> None:
        self.bootstrap = f"127.0.0.1:{port}"
        self.access = kafka_security.access(run_dir / "kafka", self.bootstrap)  # its own CA and principals
        self.env = {
            **os.environ,
            "PORTAL_RUN_DIR": str(run_dir),
            "KAFKA_PORT": str(port),
            "KAFKA_CONTROLLER_PORT": str(controller_port),
        }

    def _stack(self, *args: str) -> None:
        subprocess.run(["bash", str(STACK_SCRIPT), *args], env=self.env, check=True, timeout=180)

    def start(self) -> None:
        self._stack("up", "kafka")

    def stop(self) -> None:
        self._stack("down", "kafka")
