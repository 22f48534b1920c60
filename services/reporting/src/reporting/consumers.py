"""Kafka entrypoint: batches from visits.v1 and issues.v1 → facts; unreadable messages → <topic>.dlq."""
from __future__ import annotations

from buildingblocks.consumer import Received
from buildingblocks.service import Service
from contracts.topics import ISSUES, VISITS
from reporting import generations
from reporting.facts import facts_for
from reporting.store import Store
from reporting.views import Views


def subscribe(service: Service, views: Views) -> None:
    async def project(batch: list[Received]) -> None:
        facts = [fact for r in batch for fact in facts_for(r.event)]
        townships = {doc["township"] for _, doc in facts}
        for generation in (await generations.state(service.db))["live"]:  # during a rebuild: two
            store = Store(service.db, generations.prefix(generation))
            await store.add(facts)
            views.touched(store.prefix, townships)  # after the write: see views.py

    service.consume([VISITS, ISSUES], project, max_records=2000)  # inserts cost per call: fewer, larger
