"""The whole system as real processes on a Kafka and FerretDB of its own, so a scenario may kill any of them."""
from __future__ import annotations

import asyncio
import time

from contracts.topics import INTAKE, ISSUES, VISITS
from tests.support import kafka
from tests.support.private_stack import PrivateStack
from tests.support.processes import ServiceProcess

SERVICES = ("visits", "issues", "reporting")
# Who consumes what: the system has caught up when every group's committed offsets reach the topics' ends.
GROUPS = {"issues.intake.v1": (VISITS, INTAKE), "reporting.projections.v1": (VISITS, ISSUES)}
GROUP_OF = {"issues": "issues.intake.v1", "reporting": "reporting.projections.v1"}


class System:
    def __init__(self):
        self.stack = PrivateStack()
        self.services = {
            name: ServiceProcess(name, {**self.stack.env(), "MONGODB_DB": f"faults_{name}", "CONSUMER_GROUP": GROUP_OF.get(name, "")})
            for name in SERVICES
        }
        self.faults: dict[str, int] = {}

    def start(self) -> "System":
        self.stack.start()
        from buildingblocks.topics import ensure_topics

        asyncio.run(ensure_topics(self.stack.bootstrap))
        for proc in self.services.values():
            proc.start(timeout_s=120)
        return self

    def url(self, service: str) -> str:
        return self.services[service].url

    def kill(self, service: str, down_s: float = 0.0) -> None:
        """SIGKILL a service (no shutdown hook, nothing flushed), leave it down a while, start it again."""
        self.services[service].kill()
        self.faults[f"kill {service}"] = self.faults.get(f"kill {service}", 0) + 1
        time.sleep(down_s)
        self.services[service].start(timeout_s=120)

    def restart_server(self, server: str, down_s: float = 2.0) -> None:
        """Stop Kafka or FerretDB under the running services and start it again on the same data."""
        self.stack.stop_server(server)
        self.faults[f"restart {server}"] = self.faults.get(f"restart {server}", 0) + 1
        time.sleep(down_s)
        self.stack.start()

    def lag(self) -> int:
        total = 0
        for group, topics in GROUPS.items():
            for topic in topics:
                total += asyncio.run(kafka.lag(self.stack.bootstrap, group, topic))
        return total

    def stop(self) -> None:
        for proc in self.services.values():
            proc.stop()
        self.stack.stop()
