"""A Kafka + store (H2 file, so a restart keeps the data) of a test's own, for tests that stop and restart the servers themselves."""
from __future__ import annotations

import asyncio
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
            check=True, capture_output=True, timeout=180, env={**os.environ, "STORE_BACKEND": "file"},
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

    def kill_server(self, name: str) -> None:
        """SIGKILL the server (kill -9 of STATE/NAME.pid: no shutdown hook, nothing flushed) and wait until it is
        gone; `start()` brings it back on the same ports and data."""
        pid = int((self.state / f"{name}.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        raise RuntimeError(f"{name} (pid {pid}) still there 30 s after SIGKILL")

    def stop(self) -> None:
        subprocess.run([ROOT / "infra" / "stack.sh", "stop", str(self.state)], capture_output=True, timeout=120)
        shutil.rmtree(self.state, ignore_errors=True)


class ClusterStack(PrivateStack):
    """Three KRaft nodes, each broker and controller (`infra/stack.sh cluster`, infra/kafka/cluster.properties),
    and the store: the county's production shape. The topics are created with replication factor 3 and
    min.insync.replicas=2, so with the services' acks=all producers one node may die without losing an
    acknowledged event. The nodes' servers are "kafka-1" … "kafka-3" for stop_server()/kill_server()."""

    NODES = ("kafka-1", "kafka-2", "kafka-3")
    REPLICATION, MIN_ISR = 3, 2

    def __init__(self):
        self.state = ROOT / ".state" / f"private-{uuid.uuid4().hex[:8]}"
        taken: set[int] = set()
        self.kafka_ports = []
        for _ in self.NODES:  # each node's controller listens on its port + 1
            port = free_port(pair=True, avoid=frozenset(taken))
            self.kafka_ports.append(port)
            taken |= {port, port + 1}
        self.kafka_port = self.kafka_ports[0]
        self.mongo_port = free_port(avoid=frozenset(taken))

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in self.kafka_ports)

    def start(self) -> "ClusterStack":
        """Start whatever node (or the store) is not running, then make sure the topics exist, replicated."""
        subprocess.run(
            [ROOT / "infra" / "stack.sh", "cluster", str(self.state), str(self.mongo_port), *map(str, self.kafka_ports)],
            check=True, capture_output=True, timeout=300, env={**os.environ, "STORE_BACKEND": "file"},
        )
        asyncio.run(self._replicated_topics())
        return self

    async def _replicated_topics(self) -> None:
        # The topic-init step itself, with the settings a production cluster sets (docker-compose.yml).
        from buildingblocks.topics import ensure_topics

        env = {"TOPIC_REPLICATION_FACTOR": str(self.REPLICATION), "TOPIC_MIN_INSYNC_REPLICAS": str(self.MIN_ISR)}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            await ensure_topics(self.bootstrap)
        finally:
            for k, v in saved.items():
                os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)

    def under_replicated(self) -> list[str]:
        """Partitions (of every topic, __consumer_offsets too) whose in-sync replicas are fewer than their replicas;
        ["unknown: …"] when no node would say (the admin client may pick the dead node: asked again, a few times)."""
        from aiokafka.admin import AIOKafkaAdminClient
        from aiokafka.errors import KafkaError

        async def check() -> list[str]:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=10000)
            await admin.start()
            try:
                out = []
                for topic in await admin.describe_topics():
                    for p in topic["partitions"]:
                        if len(p["isr"]) < len(p["replicas"]) or p["error_code"]:
                            out.append(f"{topic.get('topic', topic.get('name'))}[{p['partition']}] isr={p['isr']} replicas={p['replicas']}")
                return out
            finally:
                await admin.close()

        error: Exception | None = None
        for _ in range(5):
            try:
                return asyncio.run(check())
            except (KafkaError, OSError) as exc:
                error = exc
                time.sleep(0.5)
        return [f"unknown: {error!r}"]
