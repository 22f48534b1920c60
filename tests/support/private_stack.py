"""A Kafka + store (H2 file, so a restart keeps the data) of a test's own, for tests that stop and restart the servers themselves."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[2]


class PrivateStack:
    def __init__(self):
        self.state = ROOT / ".state" / f"private-{uuid.uuid4().hex[:8]}"
        self.kafka_port = free_port(pair=True)
        self.mongo_port = free_port(avoid=frozenset({self.kafka_port, self.kafka_port + 1}))

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def mongo_uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}/?directConnection=true"

    def env(self) -> dict[str, str]:
        return {"KAFKA_BOOTSTRAP_SERVERS": self.bootstrap, "MONGODB_URI": self.mongo_uri}

    def start(self) -> "PrivateStack":
        """Start whatever of the two is not running (so it also restarts a stopped Kafka)."""
        subprocess.run(
            [ROOT / "infra" / "stack.sh", "start", str(self.state), str(self.kafka_port), str(self.mongo_port)],
            check=True, capture_output=True, timeout=180,
        )
        return self

    def stop_kafka(self) -> None:
        self.stop_server("kafka")

    def stop_store(self) -> None:
        self.stop_server("store")

    def stop_server(self, name: str) -> None:
        """SIGTERM the server (SIGKILL if it lingers); `start()` brings it back on the same ports and data."""
        pid = int((self.state / f"{name}.pid").read_text())
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
        os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        subprocess.run([ROOT / "infra" / "stack.sh", "stop", str(self.state)], capture_output=True, timeout=120)
        shutil.rmtree(self.state, ignore_errors=True)
