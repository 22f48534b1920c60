"""Kafka helpers for the tests, through buildingblocks.topicreader: produce, read a topic to its end, a group's lag."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterable

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import ConsumerRecord

from buildingblocks import topicreader
from buildingblocks.topicreader import NoSuchTopic, Offsets, TopicReader
from contracts import InvalidEvent, parse

ROOT = Path(__file__).resolve().parents[2]
CE_JSON = [("content-type", b"application/cloudevents+json; charset=UTF-8")]


async def produce(bootstrap: str, topic: str, messages: Iterable[tuple[bytes, bytes]], headers=CE_JSON) -> int:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key, headers=headers) for key, value in messages]
        await producer.flush()
        for f in futures:
            await f
        return len(futures)
    finally:
        await producer.stop()


async def create_topic(bootstrap: str, name: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        await admin.close()


async def read_all(bootstrap: str, topic: str, timeout_s: float = 5.0) -> list[ConsumerRecord]:
    """Every record on the topic now, read from the beginning without a group ([] if there is no such topic)."""
    try:
        return [r async for batch in topicreader.read_to_end(bootstrap, [topic], timeout_s=timeout_s) for r in batch]
    except NoSuchTopic:
        return []


async def read_events(bootstrap: str, topic: str, timeout_s: float = 5.0) -> list[tuple[ConsumerRecord, dict]]:
    """Every valid event on the topic now, with its JSON body. The malformed messages that the dead-letter tests put
    on the shared topics on purpose are left out."""
    return well_formed(await read_all(bootstrap, topic, timeout_s))


def well_formed(records: Iterable[ConsumerRecord]) -> list[tuple[ConsumerRecord, dict]]:
    out = []
    for record in records:
        try:
            parse(record.value)
        except InvalidEvent:
            continue
        out.append((record, json.loads(record.value)))
    return out


async def read_from(bootstrap: str, topic: str, partition: int, offset: int, timeout_s: float = 60) -> list[ConsumerRecord]:
    """Every record of one partition from `offset` to its end now."""
    tp = TopicPartition(topic, partition)
    async with TopicReader(bootstrap) as reader:
        ends = await reader.end_offsets([tp])
        return [r async for batch in reader.read(ends, {tp: offset}, timeout_s=timeout_s) for r in batch]


async def committed(bootstrap: str, group: str, topic: str) -> Offsets:
    """The group's committed offset of each partition of the topic (0 where it has none)."""
    async with TopicReader(bootstrap, group=group) as reader:
        return await reader.committed([topic])


async def lag(bootstrap: str, group: str, topic: str) -> int:
    """How many records of the topic the group has not committed yet."""
    async with TopicReader(bootstrap, group=group) as reader:
        ends = await reader.end_offsets([topic])
        done = await reader.committed(ends)
    return sum(ends[tp] - done[tp] for tp in ends)


async def end_offsets(bootstrap: str, topic: str) -> Offsets:
    return await topicreader.end_offsets(bootstrap, [topic])


async def end_offset(bootstrap: str, topic: str, partition: int = 0) -> int:
    tp = TopicPartition(topic, partition)
    return (await topicreader.end_offsets(bootstrap, [tp]))[tp]


def dlq_command(bootstrap: str, *args: str) -> subprocess.CompletedProcess:
    """The operator's `python -m buildingblocks.dlq …`, as a separate process."""
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap}
    return subprocess.run([sys.executable, "-m", "buildingblocks.dlq", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
