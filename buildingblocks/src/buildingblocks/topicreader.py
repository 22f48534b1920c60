"""Reading topics to a position: where each partition ends now, and its records from a start to an end.

The one place that reads a topic "to its end" (bulletins and their verification, the rebuild, the DLQ tool, the
tests, the bench): partitions are assigned by hand, so a reader joins no group, starts at once and never
rebalances. Given a group, it also reads and commits that group's offsets (the rebuild's progress, a lag).
Only public aiokafka calls: a topic's partitions come from the admin client's metadata.
"""
from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Iterable, Optional, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import ConsumerRecord

Offsets = dict[TopicPartition, int]
POLL_MS = 500


class NoSuchTopic(LookupError):
    pass


async def partitions(bootstrap: str, topics: Iterable[str], wait_s: float = 0.0) -> list[TopicPartition]:
    """The partitions of `topics`, in the order given and by number; a topic still missing after `wait_s`
    (one being created, say) raises NoSuchTopic."""
    topics = list(topics)
    deadline = asyncio.get_running_loop().time() + wait_s
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        while True:
            found = {t["topic"]: sorted(p["partition"] for p in t["partitions"])
                     for t in await admin.describe_topics(topics) if t["partitions"]}
            missing = [t for t in topics if t not in found]
            if not missing:
                return [TopicPartition(t, p) for t in topics for p in found[t]]
            if asyncio.get_running_loop().time() >= deadline:
                raise NoSuchTopic(f"no topic {', '.join(missing)} on {bootstrap}")
            await asyncio.sleep(0.1)
    finally:
        await admin.close()


class Consumer(Protocol):
    """What a reader needs of aiokafka's consumer (a fake in the unit tests)."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def assign(self, partitions: list[TopicPartition]) -> None: ...
    def assignment(self) -> set[TopicPartition]: ...
    def seek(self, partition: TopicPartition, offset: int) -> None: ...
    async def position(self, partition: TopicPartition) -> int: ...
    async def beginning_offsets(self, partitions: list[TopicPartition]) -> Offsets: ...
    async def end_offsets(self, partitions: list[TopicPartition]) -> Offsets: ...
    async def committed(self, partition: TopicPartition) -> Optional[int]: ...
    async def commit(self, offsets: Offsets) -> None: ...
    async def getmany(self, *partitions: TopicPartition, timeout_ms: int = 0,
                      max_records: Optional[int] = None) -> dict[TopicPartition, list[ConsumerRecord]]: ...


class TopicReader:
    """One consumer, used as `async with TopicReader(bootstrap) as reader:`. `options` go to aiokafka's consumer
    (e.g. `max_poll_records`, `fetch_max_bytes` for a long read)."""

    def __init__(self, bootstrap: str, *, group: Optional[str] = None, consumer: Optional[Consumer] = None,
                 **options: Any):
        self.bootstrap = bootstrap
        self.consumer: Consumer = consumer or AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False, auto_offset_reset="earliest",
            **options)

    async def __aenter__(self) -> "TopicReader":
        await self.consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()

    async def partitions(self, topics: Iterable[str], wait_s: float = 0.0) -> list[TopicPartition]:
        return await partitions(self.bootstrap, topics, wait_s)

    async def end_offsets(self, where: Iterable[str | TopicPartition], wait_s: float = 0.0) -> Offsets:
        """The offset the next record of each partition will get (of topics, or of the partitions given),
        in the order of `partitions`."""
        parts = await self._parts(where, wait_s)
        ends = await self.consumer.end_offsets(parts)
        return {tp: ends[tp] for tp in parts}

    async def committed(self, where: Iterable[str | TopicPartition]) -> Offsets:
        """The reader's group's committed offsets (0 where it has none)."""
        return {tp: (await self.consumer.committed(tp)) or 0 for tp in await self._parts(where)}

    async def commit(self, offsets: Offsets) -> None:
        """Commit `offsets` for the reader's group. Kafka takes a commit only for assigned partitions, so others
        are assigned for it: during a read, commit the partitions being read; between reads, any."""
        if not offsets:
            return
        assigned = self.consumer.assignment()
        if not set(offsets) <= assigned:
            self.consumer.assign(sorted(assigned | set(offsets)))
        await self.consumer.commit(dict(offsets))

    async def read(self, until: Offsets, start: Optional[Offsets] = None, *, max_records: Optional[int] = None,
                   timeout_s: Optional[float] = None) -> AsyncIterator[list[ConsumerRecord]]:
        """The records of the partitions of `until` from `start` (default: each partition's beginning) up to,
        not including, `until`: one non-empty list per fetch, each partition's records in order. Ends when every
        partition is read to its offset in `until`; TimeoutError if that takes longer than `timeout_s`."""
        parts = list(until)
        first = await self.consumer.beginning_offsets(parts) if parts else {}
        begin = {tp: max((start or {}).get(tp, 0), first[tp]) for tp in parts}
        todo = [tp for tp in parts if begin[tp] < until[tp]]
        if not todo:
            return
        self.consumer.assign(todo)
        for tp in todo:
            self.consumer.seek(tp, begin[tp])
        loop = asyncio.get_running_loop()
        deadline = None if timeout_s is None else loop.time() + timeout_s
        while todo:
            got = await self.consumer.getmany(*todo, timeout_ms=POLL_MS, max_records=max_records)
            batch = [r for tp, records in got.items() for r in records if r.offset < until[tp]]
            if batch:
                yield batch
            todo = [tp for tp in todo if await self.consumer.position(tp) < until[tp]]
            if todo and deadline is not None and loop.time() > deadline:
                behind = ", ".join(f"{tp.topic}[{tp.partition}]" for tp in todo)
                raise TimeoutError(f"could not read {behind} to {[until[tp] for tp in todo]} in {timeout_s:g} s")

    async def _parts(self, where: Iterable[str | TopicPartition], wait_s: float = 0.0) -> list[TopicPartition]:
        where = list(where)
        named = [w for w in where if isinstance(w, str)]
        found = iter(await self.partitions(named, wait_s) if named else [])
        by_topic: dict[str, list[TopicPartition]] = {}
        for tp in found:
            by_topic.setdefault(tp.topic, []).append(tp)
        out: list[TopicPartition] = []
        for w in where:
            out += by_topic.get(w, []) if isinstance(w, str) else [w]
        return out


async def end_offsets(bootstrap: str, topics: Iterable[str | TopicPartition], wait_s: float = 0.0) -> Offsets:
    """Where each partition of `topics` ends now (one short-lived reader)."""
    async with TopicReader(bootstrap) as reader:
        return await reader.end_offsets(topics, wait_s)


async def read_to_end(bootstrap: str, topics: Iterable[str], *, timeout_s: Optional[float] = None,
                      **options: Any) -> AsyncIterator[list[ConsumerRecord]]:
    """Every record of `topics` from the beginning to their ends as of the call."""
    async with TopicReader(bootstrap, **options) as reader:
        async for batch in reader.read(await reader.end_offsets(topics), timeout_s=timeout_s):
            yield batch
