"""Kafka entrypoint: batches from visits.v1 and issues.v1 → facts; unreadable messages → <topic>.dlq."""
from __future__ import annotations

from buildingblocks.consumer import Received
from buildingblocks.service import Service
from contracts.topics import ISSUES, VISITS
from reporting import generations
from reporting.facts import facts_for
from reporting.store import Store


def subscribe(service: Service) -> None:
    async def project(batch: list[Received]) -> None:
        facts = [fact for r in batch for fact in facts_for(r.event)]
        for generation in (await generations.state(service.db))["live"]:  # during a rebuild: two
            await Store(service.db, generations.prefix(generation)).add(facts)  # and bumps the versions: views.py

    service.consume([VISITS, ISSUES], project, max_records=2000)  # inserts cost per call: fewer, larger
