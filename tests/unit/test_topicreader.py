"""The topic reader's rules, on a fake consumer: from where to where it reads, what it yields, when it stops."""
from __future__ import annotations

from typing import Optional

import pytest
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from buildingblocks.topicreader import Offsets, TopicReader

A, B = TopicPartition("t", 0), TopicPartition("t", 1)


def record(tp: TopicPartition, offset: int) -> ConsumerRecord:
    return ConsumerRecord(tp.topic, tp.partition, offset, 0, 0, b"k", f"{tp.partition}@{offset}".encode(), None, 1, 5, [])


class FakeConsumer:
    """A log per partition (offsets from `first`, maybe with gaps), fetched `per_fetch` records at a time."""

    def __init__(self, logs: dict[TopicPartition, list[int]], per_fetch: int = 2, first: Optional[Offsets] = None):
        self.logs = logs
        self.per_fetch = per_fetch
        self.first = first or {tp: (offsets[0] if offsets else 0) for tp, offsets in logs.items()}
        self.positions: Offsets = {}
        self.assigned: list[TopicPartition] = []
        self.commits: list[Offsets] = []
        self.fetches = 0

    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.assigned = list(partitions)
        self.positions = {}

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        assert tp in self.assigned
        self.positions[tp] = offset

    async def position(self, tp: TopicPartition) -> int:
        return self.positions[tp]

    async def beginning_offsets(self, parts): return {tp: self.first[tp] for tp in parts}

    async def end_offsets(self, parts): return {tp: (self.logs[tp][-1] + 1 if self.logs[tp] else 0) for tp in parts}

    async def committed(self, tp): return None

    async def commit(self, offsets):
        assert set(offsets) <= set(self.assigned), "Kafka takes commits of assigned partitions only"
        self.commits.append(dict(offsets))

    async def getmany(self, *parts, timeout_ms=0, max_records=None):
        self.fetches += 1
        out = {}
        for tp in parts or self.assigned:
            ahead = [o for o in self.logs[tp] if o >= self.positions[tp]][: max_records or self.per_fetch]
            if ahead:
                out[tp] = [record(tp, o) for o in ahead]
                self.positions[tp] = ahead[-1] + 1
        return out


async def read(reader: TopicReader, until: Offsets, start: Optional[Offsets] = None, **kw) -> list[list[tuple]]:
    return [[(r.partition, r.offset) for r in batch] async for batch in reader.read(until, start, **kw)]


async def test_reads_every_partition_from_its_beginning_to_the_position_and_nothing_after():
    fake = FakeConsumer({A: list(range(5)), B: list(range(3))})
    batches = await read(TopicReader("kafka", consumer=fake), {A: 4, B: 3})
    got = [x for b in batches for x in b]
    assert sorted(got) == [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1), (1, 2)]
    assert [o for p, o in got if p == 0] == [0, 1, 2, 3]  # a partition's records in order
    assert all(batches)  # no empty batches


async def test_reads_from_a_start_and_skips_partitions_already_there():
    fake = FakeConsumer({A: list(range(6)), B: list(range(3))})
    batches = await read(TopicReader("kafka", consumer=fake), {A: 6, B: 3}, {A: 4, B: 3})
    assert [x for b in batches for x in b] == [(0, 4), (0, 5)]
    assert fake.assigned == [A]


async def test_a_start_before_the_beginning_starts_at_the_beginning():
    fake = FakeConsumer({A: [7, 8, 9]}, first={A: 7})
    assert await read(TopicReader("kafka", consumer=fake), {A: 10}, {A: 2}) == [[(0, 7), (0, 8)], [(0, 9)]]


async def test_nothing_to_read_fetches_nothing():
    fake = FakeConsumer({A: [0, 1]})
    assert await read(TopicReader("kafka", consumer=fake), {A: 0}) == []
    assert await read(TopicReader("kafka", consumer=fake), {}) == []
    assert fake.fetches == 0


async def test_a_gap_at_the_end_of_the_position_still_ends_the_read():
    fake = FakeConsumer({A: [0, 1, 5]})  # offsets 2-4 hold no records (e.g. transaction markers)
    assert await read(TopicReader("kafka", consumer=fake), {A: 3}) == [[(0, 0), (0, 1)]]


async def test_max_records_bounds_each_batch():
    fake = FakeConsumer({A: list(range(10))}, per_fetch=100)
    assert [len(b) for b in await read(TopicReader("kafka", consumer=fake), {A: 10}, max_records=4)] == [4, 4, 2]


async def test_a_read_that_does_not_get_there_in_time_says_where_it_stopped():
    class Stuck(FakeConsumer):
        async def getmany(self, *parts, timeout_ms=0, max_records=None):
            return {}

    with pytest.raises(TimeoutError, match=r"t\[0\] to \[5\]"):
        await read(TopicReader("kafka", consumer=Stuck({A: list(range(5))})), {A: 5}, timeout_s=0)


async def test_a_commit_of_partitions_not_being_read_assigns_them_first():
    fake = FakeConsumer({A: [0, 1], B: []})
    reader = TopicReader("kafka", consumer=fake)
    await read(reader, {A: 2, B: 0})
    await reader.commit({A: 2, B: 0})
    assert fake.commits == [{A: 2, B: 0}]
    await reader.commit({})
    assert len(fake.commits) == 1
