"""Reading the event log itself: where it ends now, and every event up to a recorded position."""
from __future__ import annotations

from typing import Any

from aiokafka import TopicPartition

from buildingblocks import topicreader
from buildingblocks.topicreader import TopicReader
from contracts.envelope import InvalidEvent, parse
from contracts.topics import ISSUES, VISITS
from reporting.facts import facts_for

TOPICS = (VISITS, ISSUES)
# [{"topic", "partition", "offset"}]: the offset of the next record of each partition (a list: a topic name
# like "visits.v1" as a field name would be a dotted path to MongoDB).
Position = list[dict[str, Any]]
TOPICS_WAIT_S = 30.0  # the topic-init step may still be creating them


async def end_position(bootstrap: str) -> Position:
    ends = await topicreader.end_offsets(bootstrap, TOPICS, wait_s=TOPICS_WAIT_S)
    return [{"topic": tp.topic, "partition": tp.partition, "offset": offset} for tp, offset in ends.items()]


async def facts_until(bootstrap: str, position: Position) -> dict[str, list[dict[str, Any]]]:
    """The facts of every readable event below `position`, each fact once (as the store keeps them)."""
    until = {TopicPartition(p["topic"], p["partition"]): p["offset"] for p in position}
    store: dict[str, dict[str, dict[str, Any]]] = {}
    async with TopicReader(bootstrap) as reader:
        async for batch in reader.read(until):
            for record in batch:
                try:
                    event = parse(record.value or b"")
                except InvalidEvent:
                    continue  # dead-lettered by the consumer too
                for collection, doc in facts_for(event):
                    store.setdefault(collection, {}).setdefault(doc["_id"], {k: v for k, v in doc.items() if k != "_id"})
    return {name: list(docs.values()) for name, docs in store.items()}
