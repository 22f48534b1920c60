"""buildingblocks.topicreader on the real broker: end offsets, a read to a position and from one, a group's offsets."""
from __future__ import annotations

import uuid

import pytest
from aiokafka import TopicPartition

from buildingblocks import topicreader
from buildingblocks.topicreader import NoSuchTopic, TopicReader
from tests.support import kafka


async def a_topic(bootstrap: str, partitions: int = 3) -> str:
    name = f"it-reader-{uuid.uuid4().hex[:8]}"
    await kafka.create_topic(bootstrap, name, partitions)
    return name


async def test_end_offsets_and_a_read_to_them_see_exactly_what_was_there(kafka_bootstrap):
    topic = await a_topic(kafka_bootstrap)
    await kafka.produce(kafka_bootstrap, topic, [(f"k{i % 5}".encode(), f"v{i}".encode()) for i in range(40)])
    ends = await topicreader.end_offsets(kafka_bootstrap, [topic])
    assert list(ends) == [TopicPartition(topic, p) for p in range(3)] and sum(ends.values()) == 40
    await kafka.produce(kafka_bootstrap, topic, [(b"k1", b"later")])  # after the position: not read

    async with TopicReader(kafka_bootstrap) as reader:
        batches = [b async for b in reader.read(ends, max_records=7)]
    values = [r.value for b in batches for r in b]
    assert sorted(values) == sorted(f"v{i}".encode() for i in range(40))
    assert all(len(b) <= 7 for b in batches) and len(batches) > 1
    for tp in ends:  # each partition's records in order
        offsets = [r.offset for b in batches for r in b if (r.topic, r.partition) == (tp.topic, tp.partition)]
        assert offsets == list(range(ends[tp]))


async def test_a_read_from_a_position_and_a_group_that_commits_it(kafka_bootstrap):
    topic = await a_topic(kafka_bootstrap, partitions=1)
    tp = TopicPartition(topic, 0)
    await kafka.produce(kafka_bootstrap, topic, [(b"k", f"v{i}".encode()) for i in range(10)])
    group = f"it-reader-{uuid.uuid4().hex[:8]}"
    async with TopicReader(kafka_bootstrap, group=group) as reader:
        assert await reader.committed([topic]) == {tp: 0}
        ends = await reader.end_offsets([tp])
        got = [r.offset async for b in reader.read(ends, {tp: 6}) for r in b]
        assert got == [6, 7, 8, 9]
        assert [r async for r in reader.read(ends, {tp: 10})] == []  # nothing left: no fetch at all
        await reader.commit(ends)
    assert await kafka.lag(kafka_bootstrap, group, topic) == 0
    async with TopicReader(kafka_bootstrap, group=group) as again:
        assert await again.committed([topic]) == {tp: 10}


async def test_read_to_end_reads_every_record_now_there(kafka_bootstrap):
    topic = await a_topic(kafka_bootstrap)
    await kafka.produce(kafka_bootstrap, topic, [(f"k{i}".encode(), b"x") for i in range(25)])
    assert sum([len(b) async for b in topicreader.read_to_end(kafka_bootstrap, [topic], timeout_s=30)]) == 25


async def test_a_missing_topic_is_named(kafka_bootstrap):
    with pytest.raises(NoSuchTopic, match="no topic it-missing-"):
        await topicreader.end_offsets(kafka_bootstrap, [f"it-missing-{uuid.uuid4().hex[:8]}"], wait_s=0.3)
