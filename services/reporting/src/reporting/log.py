"""Reading the event log itself: where it ends now, and every event up to a recorded position."""
from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.envelope import InvalidEvent, parse
from contracts.topics import ISSUES, VISITS
from reporting.facts import facts_for

TOPICS = (VISITS, ISSUES)
# [{"topic", "partition", "offset"}]: the offset of the next record of each partition (a list: a topic name
# like "visits.v1" as a field name would be a dotted path to MongoDB).
Position = list[dict[str, Any]]


async def _consumer(bootstrap: str) -> tuple[AIOKafkaConsumer, list[TopicPartition]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    parts = []
    for topic in TOPICS:
        partitions = consumer.partitions_for_topic(topic)
        while partitions is None:
            await consumer._client.force_metadata_update()  # no public call fetches an unassigned topic's metadata
            partitions = consumer.partitions_for_topic(topic)
            await asyncio.sleep(0.1)
        parts += [TopicPartition(topic, p) for p in sorted(partitions)]
    return consumer, parts


async def end_position(bootstrap: str) -> Position:
    consumer, parts = await _consumer(bootstrap)
    try:
        ends = await consumer.end_offsets(parts)
    finally:
        await consumer.stop()
    return [{"topic": tp.topic, "partition": tp.partition, "offset": ends[tp]} for tp in parts]


async def facts_until(bootstrap: str, position: Position) -> dict[str, list[dict[str, Any]]]:
    """The facts of every readable event below `position`, each fact once (as the store keeps them)."""
    consumer, parts = await _consumer(bootstrap)
    store: dict[str, dict[str, dict[str, Any]]] = {}
    try:
        recorded = {(p["topic"], p["partition"]): p["offset"] for p in position}
        wanted = {tp: recorded.get((tp.topic, tp.partition), 0) for tp in parts}
        todo = [tp for tp in parts if wanted[tp] > 0]
        consumer.assign(todo)
        if todo:
            await consumer.seek_to_beginning(*todo)
        while todo:
            batch = await consumer.getmany(*todo, timeout_ms=1000)
            for tp, records in batch.items():
                for record in records:
                    if record.offset >= wanted[tp]:
                        break
                    try:
                        event = parse(record.value or b"")
                    except InvalidEvent:
                        continue  # dead-lettered by the consumer too
                    for collection, doc in facts_for(event):
                        store.setdefault(collection, {}).setdefault(doc["_id"], {k: v for k, v in doc.items() if k != "_id"})
            todo = [tp for tp in todo if await consumer.position(tp) < wanted[tp]]
    finally:
        await consumer.stop()
    return {name: list(docs.values()) for name, docs in store.items()}
