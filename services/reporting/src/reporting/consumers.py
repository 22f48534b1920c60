"""Kafka entrypoint: batches from visits.v1 → facts; unreadable messages → visits.v1.dlq."""
from __future__ import annotations

from faststream.kafka.annotations import KafkaMessage

from buildingblocks.consumer import BatchConsumer, Received
from buildingblocks.deadletter import DeadLetters
from buildingblocks.kafka import batch_subscription
from buildingblocks.service import Service
from contracts.topics import VISITS
from reporting.facts import facts_for
from reporting.store import Store


def subscribe(service: Service, store: Store) -> BatchConsumer:
    async def project(batch: list[Received]) -> None:
        await store.add([fact for r in batch for fact in facts_for(r.event)])

    consume = BatchConsumer(project, DeadLetters(service.broker, service.settings.consumer_group))

    @service.broker.subscriber(VISITS, **batch_subscription(service.settings))
    async def on_visits(msg: KafkaMessage) -> None:
        await consume(msg.raw_message)

    return consume
