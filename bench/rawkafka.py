"""Plain aiokafka and pymongo: fast batch produce, the raw-consumption baselines (read; read + decode + bulk
insert), a group's committed lag, and moving a group's committed offsets to the end (so a new service skips old
events). The baselines' loops are aiokafka's own consumer in a group, none of the project's code: only the end
offsets they read to come from buildingblocks.topicreader, taken before the clock starts."""
from __future__ import annotations

import asyncio
import json
import time
from typing import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.partitioner import murmur2
from pymongo import AsyncMongoClient

from bench.events import CE_HEADERS
from buildingblocks import topicreader
from buildingblocks.topicreader import TopicReader
from contracts.topics import PARTITIONS


async def partitions(bootstrap: str, topics: Iterable[str]) -> list[TopicPartition]:
    return await topicreader.partitions(bootstrap, topics, wait_s=5.0)


async def end_offsets(bootstrap: str, topics: Iterable[str]) -> dict[TopicPartition, int]:
    return await topicreader.end_offsets(bootstrap, topics, wait_s=5.0)


async def produce(bootstrap: str, items: Iterable[tuple]) -> int:
    """(topic, key, value) or (topic, key, value, headers) → Kafka, partitioned by key as the default partitioner
    does, in big batches (without headers: the CloudEvents content type, as the services send)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20,
                                max_batch_size=512 * 1024, max_request_size=4 * 1024 * 1024)
    await producer.start()
    part_of: dict[str, int] = {}
    batches: dict[tuple[str, int], object] = {}
    futures = []
    sent = 0
    try:
        for topic, key, value, *more in items:
            headers = more[0] if more else CE_HEADERS
            kb = key.encode()
            p = part_of.get(key)
            if p is None:
                p = part_of[key] = (murmur2(kb) & 0x7FFFFFFF) % PARTITIONS
            batch = batches.get((topic, p))
            if batch is None:
                batch = batches[(topic, p)] = producer.create_batch()
            if batch.append(key=kb, value=value, timestamp=None, headers=headers) is None:
                futures.append(await producer.send_batch(batch, topic, partition=p))
                batch = batches[(topic, p)] = producer.create_batch()
                batch.append(key=kb, value=value, timestamp=None, headers=headers)
            sent += 1
        for (topic, p), batch in batches.items():
            if batch.record_count():
                futures.append(await producer.send_batch(batch, topic, partition=p))
        await asyncio.gather(*futures)
        return sent
    finally:
        await producer.stop()


async def raw_read(bootstrap: str, topics: list[str], group: str, batch: int = 500, timeout_s: float = 600) -> dict:
    """The baseline consumer: its own group, getmany batches, auto commit off, one commit at the end; reads
    every topic from the beginning to the end offsets taken when it starts. Returns the records, the seconds
    from start to the commit, and `rate`: records per second from the first batch to the commit (the steady
    state, as the figure it is compared with)."""
    ends = await end_offsets(bootstrap, topics)
    t0 = time.monotonic()
    first: tuple[float, int] | None = None
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                auto_offset_reset="earliest", max_poll_records=batch)
    await consumer.start()
    try:
        pos = {tp: 0 for tp in ends}
        read = 0
        while any(pos[tp] < ends[tp] for tp in ends):
            if time.monotonic() - t0 > timeout_s:
                raise TimeoutError(f"raw read not done in {timeout_s:.0f} s ({read} records)")
            got = await consumer.getmany(timeout_ms=500, max_records=batch)
            for tp, records in got.items():
                read += len(records)
                if records:
                    pos[tp] = records[-1].offset + 1
            if first is None and read:
                first = (time.monotonic(), read)
        await consumer.commit()
        end = time.monotonic()
        if first and end > first[0] and read > first[1]:
            steady = (read - first[1]) / (end - first[0])
        else:
            steady = read / (end - t0)
        return {"records": read, "seconds": end - t0, "rate": steady}
    finally:
        await consumer.stop()


async def read_decode_insert(bootstrap: str, topics: list[str], group: str, mongo_uri: str, db: str,
                             batch: int, timeout_s: float = 3600) -> dict:
    """The limit any projector faces: the raw read above, plus `json.loads` of every value and one unordered
    `insert_many` per batch of the decoded documents (one per event, as the projector stores one fact per event)
    into a fresh collection of the same store, each batch awaited before the next poll; one commit at the end.
    Returns what `raw_read` does; the collection is dropped afterwards (its rows would only fill the store)."""
    client = AsyncMongoClient(mongo_uri)
    coll = client[db]["events"]
    await coll.drop()
    ends = await end_offsets(bootstrap, topics)
    t0 = time.monotonic()
    first: tuple[float, int] | None = None
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                auto_offset_reset="earliest", max_poll_records=batch, fetch_max_bytes=64 * 1024 * 1024)
    await consumer.start()
    try:
        pos = {tp: 0 for tp in ends}
        read = inserted = 0
        while any(pos[tp] < ends[tp] for tp in ends):
            if time.monotonic() - t0 > timeout_s:
                raise TimeoutError(f"read + decode + insert not done in {timeout_s:.0f} s ({read} records)")
            got = await consumer.getmany(timeout_ms=500, max_records=batch)
            docs = []
            for tp, records in got.items():
                read += len(records)
                docs += [json.loads(r.value) for r in records]
                if records:
                    pos[tp] = records[-1].offset + 1
            if docs:
                inserted += len((await coll.insert_many(docs, ordered=False)).inserted_ids)
            if first is None and read:
                first = (time.monotonic(), read)
        await consumer.commit()
        end = time.monotonic()
        if first and end > first[0] and read > first[1]:
            steady = (read - first[1]) / (end - first[0])
        else:
            steady = read / (end - t0)
        return {"records": read, "inserted": inserted, "seconds": end - t0, "rate": steady, "batch": batch}
    finally:
        await consumer.stop()
        try:
            await coll.drop()
        finally:
            await client.close()


class Lag:
    """The committed lag of a consumer group on topics, against end offsets fixed at construction."""

    def __init__(self, bootstrap: str, group: str, ends: dict[TopicPartition, int]):
        self.reader = TopicReader(bootstrap, group=group)
        self.ends = ends

    async def __aenter__(self) -> "Lag":
        await self.reader.__aenter__()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.reader.__aexit__(*exc)

    async def committed(self) -> int:
        done = await self.reader.committed(self.ends)
        return sum(min(done[tp], self.ends[tp]) for tp in self.ends)

    async def wait_zero(self, budget_s: float, every_s: float = 0.25) -> dict:
        """Poll until the group has committed every end offset. Returns whether it did (`reached`), when
        (`at`, monotonic), how many records are committed then, and the first poll that saw any progress
        (`first_at`, `first_committed`), so a rate can leave out the consumer's start-up."""
        total = sum(self.ends.values())
        start = time.monotonic()
        deadline = start + budget_s
        first_at, first_committed = None, 0
        samples: list[tuple[float, int]] = []  # (seconds since the start, committed) every ~5 s: does the rate hold?
        while True:
            done = await self.committed()
            now = time.monotonic()
            if first_at is None and done > 0:
                first_at, first_committed = now, done
            if not samples or now - start - samples[-1][0] >= 5:
                samples.append((round(now - start, 1), done))
            if done >= total or now > deadline:
                samples.append((round(now - start, 1), done))
                return {"reached": done >= total, "at": now, "committed": done, "first_at": first_at,
                        "first_committed": first_committed, "samples": samples}
            await asyncio.sleep(every_s)


async def commit_at_end(bootstrap: str, group: str, topics: list[str]) -> None:
    """Commit the current end offsets for `group`: a service joining it later starts there."""
    async with TopicReader(bootstrap, group=group) as reader:
        await reader.commit(await reader.end_offsets(topics, wait_s=5.0))


async def create_topic(bootstrap: str, name: str, partitions_: int = PARTITIONS) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions_, 1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        await admin.close()
