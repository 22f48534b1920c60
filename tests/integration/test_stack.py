"""The real servers do what the code relies on: topics as the contract says, insert-only facts, dead letters."""
from __future__ import annotations

import uuid

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.structs import ConsumerRecord
from pymongo import AsyncMongoClient

from buildingblocks.deadletter import DeadLetters
from buildingblocks.kafka import make_broker
from buildingblocks.settings import Settings
from contracts.topics import TYPES_BY_TOPIC, all_topics
from reporting.store import Store
from tests.support import kafka


async def test_topics_exist_with_six_partitions_and_keep_events_forever(kafka_bootstrap):
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        described = {t["topic"]: t for t in await admin.describe_topics(all_topics())}
        for topic in TYPES_BY_TOPIC:
            assert len(described[topic]["partitions"]) == 6, topic
        configs = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t) for t in all_topics()])
        retention = {
            resource[3]: {e[0]: e[1] for e in resource[4]}["retention.ms"]
            for response in configs
            for resource in response.resources
        }
        assert retention == {t: "-1" for t in all_topics()}
    finally:
        await admin.close()


async def test_facts_are_inserted_once_however_often_they_come(mongo_uri):
    client = AsyncMongoClient(mongo_uri)
    store = Store(client[f"it_{uuid.uuid4().hex[:8]}"])
    await store.ensure_indexes()
    facts = [("visits", {"_id": f"t:v{i}", "township": "t", "visited_on": "2026-03-01"}) for i in range(50)]
    assert await store.add(facts) == 50
    assert await store.add(facts[:10] + [("visits", {"_id": "t:new", "township": "t"})]) == 1
    assert await store.db["visits"].count_documents({}) == 51
    assert await store.fact_count() == 51  # what the views size their first reads by (views._chunk_size)
    body = "县域报告".encode() * 100_000  # 1.2 MB, a county of some hundred townships
    await store.keep_body("2026-Q1", 7, "figures 3, tallies 3", body)
    assert await store.kept_body("2026-Q1") == (7, "figures 3, tallies 3", body)
    assert await store.kept_body("2026-Q2") is None
    await client.close()


async def test_a_dead_letter_keeps_the_original_bytes_headers_and_position(kafka_bootstrap):
    broker = make_broker(Settings(service="it", kafka_bootstrap_servers=kafka_bootstrap, mongodb_db="x", port=1))
    marker = uuid.uuid4().hex.encode()
    original = ConsumerRecord("visits.v1", 3, 1234, 0, 0, b"KEY", b"\xffraw" + marker, None, 1, 1,
                              [("content-type", b"application/cloudevents+json; charset=UTF-8"), ("trace", b"abc")])
    await broker.start()
    try:
        await DeadLetters(broker, "it-group").send(original, "not_json", "the value is not UTF-8 JSON")
    finally:
        await broker.stop()
    [dead] = [r for r in await kafka.read_all(kafka_bootstrap, "visits.v1.dlq") if marker in r.value]
    headers = {k: v.decode() for k, v in dead.headers}
    assert dead.value == original.value and dead.key == b"KEY"
    assert headers["trace"] == "abc"
    assert headers["content-type"].startswith("application/cloudevents+json")
    assert (headers["dlq-reason"], headers["dlq-original-topic"]) == ("not_json", "visits.v1")
    assert (headers["dlq-original-partition"], headers["dlq-original-offset"]) == ("3", "1234")
    assert headers["dlq-consumer-group"] == "it-group"
