"""Kafka entrypoint: batches from visits.v1 and issues.v1 → facts; unreadable messages → <topic>.dlq."""
from __future__ import annotations

from buildingblocks.consumer import Received
from buildingblocks.service import Service
from contracts.topics import ISSUES, VISITS
from reporting.facts import facts_for
from reporting.store import Store


def subscribe(service: Service, store: Store) -> None:
    async def project(batch: list[Received]) -> None:
        await store.add([fact for r in batch for fact in facts_for(r.event)])

    service.consume([VISITS, ISSUES], project)
