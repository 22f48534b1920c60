"""The backbone end to end: another county system's raw producer → visits.v1 → the reporting service → the store.

The reporting service runs as a real process on the real broker; it is SIGKILLed and restarted.
"""
from __future__ import annotations

import asyncio
import random
import threading
import uuid
from datetime import date, timedelta

import httpx
from aiokafka import TopicPartition
from pymongo import MongoClient

from tests.support import events, kafka
from tests.support.processes import ServiceProcess, wait_for

TOPIC = "visits.v1"




def visits_db(mongo_uri: str, proc: ServiceProcess):
    return MongoClient(mongo_uri)[proc.env["MONGODB_DB"]]["visits"]


def make_visits(township: str, n: int, rng: random.Random) -> list[tuple[bytes, bytes, str]]:
    enterprises = [events.uscc(rng) for _ in range(27)]
    out = []
    for _ in range(n):
        e = rng.choice(enterprises)
        visit_id = str(uuid.uuid4())
        body = events.visit_logged(township, e, visit_id, date(2026, 1, 1) + timedelta(days=rng.randrange(90)))
        out.append((e.encode(), events.encode(body), visit_id))
    return out


def produce_steadily(bootstrap: str, messages: list[tuple[bytes, bytes]], per_second: int) -> threading.Thread:
    chunk = max(1, per_second // 20)

    async def run() -> None:
        for i in range(0, len(messages), chunk):
            await kafka.produce(bootstrap, TOPIC, messages[i : i + chunk])
            await asyncio.sleep(0.05)

    thread = threading.Thread(target=lambda: asyncio.run(run()), daemon=True)
    thread.start()
    return thread


def test_sigkill_and_restart_lose_nothing_and_store_nothing_twice(reporting, kafka_bootstrap, mongo_uri, township):
    sent_visits = make_visits(township, 3000, random.Random(7))
    visits = visits_db(mongo_uri, reporting)
    group = reporting.env["CONSUMER_GROUP"]

    reporting.start()
    producer = produce_steadily(kafka_bootstrap, [(k, v) for k, v, _ in sent_visits], per_second=500)
    wait_for(lambda: visits.count_documents({"township": township}) >= 300, 60, "the first visits to be stored")
    reporting.kill()  # mid-stream: the producer goes on sending

    # Offsets are committed only after the writes: everything of ours below a committed offset is stored.
    committed = asyncio.run(kafka.committed(kafka_bootstrap, group, TOPIC))
    records = asyncio.run(kafka.read_all(kafka_bootstrap, TOPIC, timeout_s=30))
    ours_committed = {
        r.value for r in records
        if r.offset < committed.get(TopicPartition(TOPIC, r.partition), 0) and township.encode() in r.value
    }
    stored_at_kill = {d["visit_id"] for d in visits.find({"township": township}, {"visit_id": 1})}
    committed_ids = {v for _, body, v in sent_visits if body in ours_committed}
    assert committed_ids <= stored_at_kill
    print(f"at the kill: {len(stored_at_kill)} stored, {len(committed_ids)} below the committed offsets")
    assert len(stored_at_kill) < len(sent_visits), "the kill came after the consumer had finished"

    producer.join(60)
    assert not producer.is_alive()
    ends = asyncio.run(kafka.end_offsets(kafka_bootstrap, TOPIC))
    reporting.start()
    sent = {v for _, _, v in sent_visits}
    wait_for(lambda: visits.count_documents({"township": township}) >= len(sent), 120, "all visits to be stored")
    wait_for(lambda: asyncio.run(kafka.lag(kafka_bootstrap, group, TOPIC)) == 0, 60, "the group to commit to the end")

    stored = [d["visit_id"] for d in visits.find({"township": township}, {"visit_id": 1})]
    assert len(stored) == len(sent)  # nothing stored twice
    assert set(stored) == sent  # nothing lost
    # The restarted consumer read exactly the records after the committed offsets: it resumed, not restarted.
    consumed = httpx.get(f"{reporting.url}/health").json()["consumed"][0]["records"]
    assert consumed == sum(ends[tp] - committed.get(tp, 0) for tp in ends)


BAD_DATA_USCC = "91330782MA2ABCD13B"  # check character should be A


def bad_messages(township: str) -> dict[str, bytes]:
    good = events.visit_logged(township, "91330782MA2ABCD13A", "v-bad", date(2026, 3, 1))
    missing_type = dict(good)
    del missing_type["type"]
    unknown_type = {**good, "type": "VisitTeleported"}
    future_major = {**good, "dataschema": "urn:township-events:VisitLogged:2"}
    bad_data = {**good, "data": {**good["data"], "enterprise_id": BAD_DATA_USCC}}
    return {
        "not_json": b"\xff{not json at all" + township.encode(),
        "invalid_envelope": events.encode(missing_type),
        "unknown_type": events.encode(unknown_type),
        "unsupported_version": events.encode(future_major),
        "invalid_data": events.encode(bad_data),
    }


def test_bad_messages_go_to_the_dlq_with_their_reason_and_the_consumer_carries_on(
    reporting, kafka_bootstrap, mongo_uri, township
):
    key = b"91330782MA2ABCD13A"  # one key: one partition, so the good visit comes after the bad ones
    bad = bad_messages(township)
    good_id = f"v-after-{township}"
    good = events.encode(events.visit_logged(township, key.decode(), good_id, date(2026, 3, 2)))
    reporting.start()
    asyncio.run(kafka.produce(kafka_bootstrap, TOPIC, [(key, v) for v in bad.values()] + [(key, good)]))

    visits = visits_db(mongo_uri, reporting)
    wait_for(lambda: visits.find_one({"visit_id": good_id}), 60, "the good visit after the bad ones")
    group = reporting.env["CONSUMER_GROUP"]

    def ours():
        found = {}
        for r in asyncio.run(kafka.read_all(kafka_bootstrap, "visits.v1.dlq", timeout_s=30)):
            h = {k: v.decode() for k, v in r.headers}
            if h.get("dlq-consumer-group") == group:
                found[h["dlq-reason"]] = (r, h)
        return found if len(found) == len(bad) else None

    dead = wait_for(ours, 30, "five dead letters")
    assert set(dead) == set(bad)
    for reason, (record, headers) in dead.items():
        assert record.value == bad[reason], reason  # the original bytes, untouched
        assert record.key == key
        assert headers["dlq-original-topic"] == TOPIC
        assert int(headers["dlq-original-partition"]) >= 0 and int(headers["dlq-original-offset"]) >= 0
        assert headers["content-type"].startswith("application/cloudevents+json")  # original headers kept
        assert headers["dlq-detail"]
    assert "check character" in dead["invalid_data"][1]["dlq-detail"]
    assert "data.enterprise_id" in dead["invalid_data"][1]["dlq-detail"]
    assert "type" in dead["invalid_envelope"][1]["dlq-detail"]
    assert "major version 2" in dead["unsupported_version"][1]["dlq-detail"]
    assert visits.count_documents({"township": township}) == 1
