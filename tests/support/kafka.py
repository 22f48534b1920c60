"""Raw aiokafka helpers: what another county system (or an operator) does, without any of the project's code."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord

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


async def read_all(bootstrap: str, topic: str, timeout_s: float = 5.0) -> list[ConsumerRecord]:
    """Every record on the topic now, read from the beginning without a group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or await _partitions(consumer, topic))]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        end = await consumer.end_offsets(parts)
        out: list[ConsumerRecord] = []
        deadline = asyncio.get_running_loop().time() + timeout_s
        while [tp for tp in parts if await consumer.position(tp) < end[tp]]:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                out.extend(records)
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"could not read {topic} to its end in {timeout_s}s")
        return out
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()  # no public call fetches metadata of an unassigned topic
    return consumer.partitions_for_topic(topic) or set()


async def lag(bootstrap: str, group: str, topic: str) -> int:
    """How many records of the topic the group has not committed yet."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in await _partitions(consumer, topic)]
        end = await consumer.end_offsets(parts)
        total = 0
        for tp in parts:
            committed = await consumer.committed(tp)
            total += end[tp] - (committed or 0)
        return total
    finally:
        await consumer.stop()


async def end_offset(bootstrap: str, topic: str, partition: int = 0) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        tp = TopicPartition(topic, partition)
        return (await consumer.end_offsets([tp]))[tp]
    finally:
        await consumer.stop()


def dlq_command(bootstrap: str, *args: str) -> subprocess.CompletedProcess:
    """The operator's `python -m buildingblocks.dlq …`, as a separate process."""
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap}
    return subprocess.run([sys.executable, "-m", "buildingblocks.dlq", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
