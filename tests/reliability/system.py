"""The whole system as real processes on a Kafka and store of its own, so a scenario may kill any of them.

Every service runs as REPLICAS processes (2 unless FAULT_REPLICAS says otherwise): distinct ports, the same
database and the same consumer group, as behind a load balancer. A kill takes one replica at random; the other
keeps serving while it is down. `System(cluster=True)` runs on three Kafka nodes instead of one.
"""
from __future__ import annotations

import asyncio
import itertools
import os
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from contracts.topics import INTAKE, ISSUES, VISITS
from tests.support.private_stack import ClusterStack, PrivateStack
from tests.support.processes import ServiceProcess, free_port

SERVICES = ("visits", "issues", "reporting")
REPLICAS = int(os.environ.get("FAULT_REPLICAS", "2"))
# Who consumes what: the system has caught up when every group's committed offsets reach the topics' ends.
GROUPS = {"issues.intake.v1": (VISITS, INTAKE), "reporting.projections.v1": (VISITS, ISSUES),
          "visits.projections.v1": (VISITS, ISSUES)}  # 我的企业's open issues and the contact budget
GROUP_OF = {"issues": "issues.intake.v1", "reporting": "reporting.projections.v1", "visits": "visits.projections.v1"}


class Balancer:
    """What a load balancer in front of a service's replicas does for its clients: each request goes to the next
    replica in turn, and a request that found one dead (connection refused, timeout, 5xx) is retried on the next.
    Counts which replica answered, so a scenario can show both served."""

    def __init__(self, urls: list[str]):
        self.urls = list(urls)
        self._turn = itertools.count()
        self._lock = threading.Lock()
        self.answered: Counter[str] = Counter()

    def pick(self) -> str:
        with self._lock:
            return self.urls[next(self._turn) % len(self.urls)]

    def served(self, url: str) -> None:
        with self._lock:
            self.answered[url] += 1


class System:
    def __init__(self, replicas: int = REPLICAS, cluster: bool = False):
        self.stack = ClusterStack() if cluster else PrivateStack()
        taken = set(getattr(self.stack, "kafka_ports", [self.stack.kafka_port]))
        taken |= {p + 1 for p in taken} | {self.stack.mongo_port}
        self.services: dict[str, list[ServiceProcess]] = {}
        stack_env = self.stack.env()
        for name in SERVICES:
            env = {**stack_env, "MONGODB_DB": f"faults_{name}", "CONSUMER_GROUP": GROUP_OF.get(name, "")}
            procs = []
            for _ in range(replicas):
                port = free_port(avoid=frozenset(taken))
                taken.add(port)
                procs.append(ServiceProcess(name, env, port=port))
            self.services[name] = procs
        self.balancers = {name: Balancer([p.url for p in procs]) for name, procs in self.services.items()}
        self.faults: dict[str, int] = {}

    def start(self) -> "System":
        """Servers, topics, then every replica at once; what started is stopped again if anything fails."""
        from buildingblocks.topics import ensure_topics

        try:
            self.stack.start()
            asyncio.run(ensure_topics(self.stack.bootstrap))
            with ThreadPoolExecutor(len(self.services) * len(self.services["visits"])) as pool:
                for started in [pool.submit(p.start, timeout_s=180) for procs in self.services.values() for p in procs]:
                    started.result()
        except BaseException:
            self.stop()
            raise
        return self

    def url(self, service: str) -> str:
        """The first replica's address (a fixed one, for checks that need no balancing)."""
        return self.services[service][0].url

    def urls(self, service: str) -> list[str]:
        return [p.url for p in self.services[service]]

    def balancer(self, service: str) -> Balancer:
        return self.balancers[service]

    def _count(self, fault: str) -> None:
        self.faults[fault] = self.faults.get(fault, 0) + 1

    def kill(self, service: str, rng: random.Random, down_s: float = 0.0) -> None:
        """SIGKILL one replica of a service picked at random (no shutdown hook, nothing flushed), leave it down a
        while (the others keep serving), start it again on the same port."""
        proc = rng.choice(self.services[service])
        proc.kill()
        self._count(f"kill {service}")
        time.sleep(down_s)
        proc.start(timeout_s=180)

    def restart_server(self, server: str, down_s: float = 2.0) -> None:
        """Stop Kafka (a node of it) or the store under the running services and start it again on the same data."""
        self.stack.stop_server(server)
        self._count(f"restart {server}")
        time.sleep(down_s)
        self.stack.start()

    def kill_server(self, server: str, down_s: float = 0.0) -> None:
        """SIGKILL the store or a Kafka node (kill -9 of its pid file), then start it again on the same data."""
        self.stack.kill_server(server)
        self._count(f"kill {server}")
        time.sleep(down_s)
        self.stack.start()

    def lag(self) -> int:
        """Records not yet committed by the consumer groups: one figure per group whatever the number of replicas
        in it, since the replicas share the group's partitions and commit to the same offsets."""
        from buildingblocks.topicreader import TopicReader

        async def count() -> int:
            total = 0
            for group, topics in GROUPS.items():  # one client per group, not per topic: this runs every second
                async with TopicReader(self.stack.bootstrap, group=group) as reader:
                    end = await reader.end_offsets(topics)
                    done = await reader.committed(end)
                    total += sum(end[tp] - done[tp] for tp in end)
            return total
        return asyncio.run(count())

    def unhealthy(self) -> list[str]:
        """Replicas not answering /health with 200 (none, once a scenario's restarts are over)."""
        down = []
        for name, procs in self.services.items():
            for p in procs:
                try:
                    if httpx.get(f"{p.url}/health", timeout=5).status_code != 200:
                        down.append(p.url)
                except httpx.HTTPError:
                    down.append(p.url)
        return down

    def stop(self) -> None:
        for procs in self.services.values():
            for proc in procs:
                proc.stop()
        self.stack.stop()
