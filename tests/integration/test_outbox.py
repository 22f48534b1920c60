"""The outbox relay on the real servers: exact bytes out, seq order kept, at-least-once across a crash, one
active relay per name, and nothing lost while Kafka is away."""
from __future__ import annotations

import asyncio
import contextlib
import json
import random
import uuid
from pathlib import Path

import pytest
from aiokafka.errors import KafkaConnectionError
from pymongo import AsyncMongoClient

from buildingblocks.kafka import make_broker
from buildingblocks.outbox import UNSENT, Relay, attach, entry, new, push, written
from buildingblocks.service import Service
from buildingblocks.settings import Settings
from contracts.envelope import CONTENT_TYPE, encode, new_event
from contracts.events import VisitLogged
from contracts.topics import VISITS
from tests.support.events import uscc
from tests.support.kafka import read_all
from tests.support.private_stack import PrivateStack

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = json.loads((ROOT / "contracts" / "samples" / "VisitLogged.v1.json").read_text())["data"]


def visit(township: str, enterprise_id: str):
    visit_id = f"v-{uuid.uuid4().hex[:10]}"
    data = {**SAMPLE, "visit_id": visit_id, "enterprise_id": enterprise_id, "demands": []}
    payload = VisitLogged.model_validate(data)
    return new_event(payload, township=township, source=f"/townships/{township}/visits")


def new_broker(bootstrap: str):
    return make_broker(Settings(service="it-outbox", kafka_bootstrap_servers=bootstrap, mongodb_db="x", port=1))


async def records(bootstrap: str, ids) -> list:
    """Our records on visits.v1 (other tests share the topic), in offset order."""
    ids = set(ids)
    found = [r for r in await read_all(bootstrap, VISITS) if dict(r.headers).get("ce_id", b"").decode() in ids]
    return sorted(found, key=lambda r: (r.partition, r.offset))


def ce_id(record) -> str:
    return dict(record.headers)["ce_id"].decode()


async def eventually(check, timeout_s: float = 20.0, what: str = "condition"):
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{what} not reached in {timeout_s}s")
        await asyncio.sleep(0.1)


@pytest.fixture
async def db(mongo_uri):
    client = AsyncMongoClient(mongo_uri, tz_aware=True, serverSelectionTimeoutMS=5000)
    database = client[f"it_{uuid.uuid4().hex[:12]}"]
    yield database
    await client.drop_database(database.name)
    await client.close()


@pytest.fixture
async def broker(kafka_bootstrap):
    b = new_broker(kafka_bootstrap)
    await b.start()
    yield b
    await b.stop()


@pytest.fixture
def enterprise() -> str:
    return uscc(random.Random())


def relay_name() -> str:
    return f"it-{uuid.uuid4().hex[:8]}"


async def outbox_of(db, collection: str, doc_id) -> list:
    """The document's entries not yet acknowledged (still listed as unsent)."""
    doc = await db[collection].find_one({"_id": doc_id})
    return [e for e in doc["outbox"] if e["id"] in doc[UNSENT]]


async def test_entries_go_out_as_the_exact_bytes_keyed_by_enterprise_then_are_recorded_as_sent(
    db, broker, kafka_bootstrap, township, enterprise
):
    first, second = visit(township, enterprise), visit(township, enterprise)
    await db.visits.insert_one({"_id": "v1", "township": township, "version": 1, **new([entry(first, VISITS)])})
    # A change and its event in one update: the state and the outbox move together.
    await db.visits.update_one(
        {"_id": "v1", "version": 1},
        {"$set": {"summary": "changed"}, "$inc": {"version": 1}, "$push": push([entry(second, VISITS)])},
    )
    relay = Relay(broker, db, ["visits"], relay_name())

    assert await relay.run_once() == 2
    assert await relay.run_once() == 0

    out = await records(kafka_bootstrap, [first.id, second.id])
    assert [r.value for r in out] == [encode(first), encode(second)]
    for r in out:
        headers = {k: v.decode() for k, v in r.headers}
        assert r.key == enterprise.encode()
        assert headers["content-type"] == CONTENT_TYPE
    doc = await db.visits.find_one({"_id": "v1"})
    assert await outbox_of(db, "visits", "v1") == [] and doc["summary"] == "changed" and doc["version"] == 2
    assert [e["id"] for e in doc["outbox"]] == [first.id, second.id]  # kept: the record of what it published
    assert relay.stats["published"] == 2 and relay.stats["leader"] is True


async def test_publication_follows_seq_across_collections(db, broker, kafka_bootstrap, township, enterprise):
    events = [visit(township, enterprise) for _ in range(6)]
    # Interleaved writes to two collections for one enterprise: inserts and pushes.
    await db.visits.insert_one({"_id": "v1", **new([entry(events[0], VISITS)])})
    await db.issues.insert_one({"_id": "i1", **new([entry(events[1], VISITS)])})
    await db.visits.update_one({"_id": "v1"}, {"$push": push([entry(events[2], VISITS)])})
    await db.issues.insert_one({"_id": "i2", **new([entry(events[3], VISITS)])})
    await db.issues.update_one({"_id": "i1"}, {"$push": push([entry(events[4], VISITS)])})
    await db.visits.insert_one({"_id": "v2", **new([entry(events[5], VISITS)])})

    assert await Relay(broker, db, ["visits", "issues"], relay_name()).run_once() == 6

    out = await records(kafka_bootstrap, [e.id for e in events])
    assert len({r.partition for r in out}) == 1  # one key, one partition: offsets are the publication order
    assert [ce_id(r) for r in out] == [e.id for e in events]


async def test_within_a_document_a_later_push_never_goes_first(db, broker, kafka_bootstrap, township, enterprise):
    early, late = visit(township, enterprise), visit(township, enterprise)
    e_early, e_late = entry(early, VISITS), entry(late, VISITS)
    e_late["seq"] = e_early["seq"] - 10**9  # pushed later by a writer whose clock is a second behind
    await db.visits.insert_one({"_id": "v1", **new([e_early, e_late])})

    assert await Relay(broker, db, ["visits"], relay_name()).run_once() == 2

    assert [ce_id(r) for r in await records(kafka_bootstrap, [early.id, late.id])] == [early.id, late.id]


async def test_a_relay_killed_between_publish_and_removal_leaves_the_entry_for_the_next_one(
    db, broker, kafka_bootstrap, township, enterprise
):
    event = visit(township, enterprise)
    await db.visits.insert_one({"_id": "v1", **new([entry(event, VISITS)])})
    name = relay_name()

    class KilledBeforeRemoval(Relay):
        async def mark(self, sent):
            raise asyncio.CancelledError()  # what a kill at this point leaves behind

    crashed = KilledBeforeRemoval(broker, db, ["visits"], name, lease_s=1.0)
    with pytest.raises(asyncio.CancelledError):
        await crashed.run_once()
    assert [e["id"] for e in await outbox_of(db, "visits", "v1")] == [event.id]

    # The dead relay never released its lease: its successor takes over when the lease runs out.
    successor = Relay(broker, db, ["visits"], name, lease_s=1.0)
    await eventually(successor.run_once, timeout_s=10, what="the successor publishing")

    out = await records(kafka_bootstrap, [event.id])
    assert [ce_id(r) for r in out] == [event.id, event.id]
    assert out[0].value == out[1].value == encode(event)
    assert await outbox_of(db, "visits", "v1") == []


async def test_only_the_lease_holder_publishes_until_its_lease_expires(
    db, broker, kafka_bootstrap, township, enterprise
):
    name = relay_name()
    first = Relay(broker, db, ["visits"], name, lease_s=1.0)
    second = Relay(broker, db, ["visits"], name, lease_s=1.0)
    a, b = visit(township, enterprise), visit(township, enterprise)

    await db.visits.insert_one({"_id": "a", **new([entry(a, VISITS)])})
    assert await first.run_once() == 1
    await db.visits.insert_one({"_id": "b", **new([entry(b, VISITS)])})
    assert await second.run_once() == 0
    assert second.stats["leader"] is False
    assert [e["id"] for e in await outbox_of(db, "visits", "b")] == [b.id]

    await asyncio.sleep(1.2)  # `first` stops renewing
    assert await second.run_once() == 1
    assert await first.run_once() == 0 and first.stats["leader"] is False

    assert [ce_id(r) for r in await records(kafka_bootstrap, [a.id, b.id])] == [a.id, b.id]


async def test_two_running_relays_publish_each_event_once_and_hand_over_on_stop(
    db, broker, kafka_bootstrap, township, enterprise
):
    name = relay_name()
    relays = [Relay(broker, db, ["visits"], name, lease_s=2.0), Relay(broker, db, ["visits"], name, lease_s=2.0)]
    for r in relays:
        await r.start()
    try:
        batch1 = [visit(township, enterprise) for _ in range(20)]
        for i, e in enumerate(batch1):
            await write(db, f"a{i}", [entry(e, VISITS)])

        async def all_published():
            return sum(r.stats["published"] for r in relays) == len(batch1)

        await eventually(all_published, what="20 entries published")
        leader = next(r for r in relays if r.stats["leader"])
        standby = next(r for r in relays if r is not leader)
        assert (leader.stats["published"], standby.stats["published"]) == (20, 0)

        await leader.stop()  # releases the lease: the standby takes over well before 2 s expire
        batch2 = [visit(township, enterprise) for _ in range(5)]
        for i, e in enumerate(batch2):
            await write(db, f"b{i}", [entry(e, VISITS)])

        async def standby_done():
            return standby.stats["published"] == len(batch2)

        await eventually(standby_done, what="the standby taking over")
        assert leader.stats["published"] == 20
    finally:
        for r in relays:
            await r.stop()

    out = await records(kafka_bootstrap, [e.id for e in batch1 + batch2])
    assert [ce_id(r) for r in out] == [e.id for e in batch1 + batch2]  # each once, in order
    assert await db.visits.count_documents({f"{UNSENT}.0": {"$exists": True}}) == 0  # each acknowledged, none left


async def test_with_an_unreachable_broker_nothing_is_removed_and_a_working_one_sends_it_later(
    db, broker, kafka_bootstrap, township, enterprise
):
    event = visit(township, enterprise)
    await db.visits.insert_one({"_id": "v1", **new([entry(event, VISITS)])})
    name = relay_name()
    dead = new_broker("127.0.0.1:1")
    with pytest.raises(KafkaConnectionError):
        await dead.start()
    try:
        down = Relay(dead, db, ["visits"], name)
        with pytest.raises(Exception):
            await down.run_once()
        assert [e["id"] for e in await outbox_of(db, "visits", "v1")] == [event.id]
        await down.stop()  # hands the lease over
    finally:
        await dead.stop()

    assert await Relay(broker, db, ["visits"], name).run_once() == 1
    assert [r.value for r in await records(kafka_bootstrap, [event.id])] == [encode(event)]
    assert await outbox_of(db, "visits", "v1") == []


async def test_a_relay_outlives_an_unreachable_database(broker):
    client = AsyncMongoClient("mongodb://127.0.0.1:1/?directConnection=true", serverSelectionTimeoutMS=100)
    relay = Relay(broker, client["nowhere"], ["visits"], relay_name(), backoff_s=0.05)
    try:
        await relay.start()

        async def failing():
            return relay.stats["errors"] >= 3

        await eventually(failing, what="three failed passes")
        assert relay._task is not None and not relay._task.done()
        assert "ServerSelectionTimeoutError" in relay.stats["last_error"]
    finally:
        await relay.stop()  # the lease cannot be released either: logged, not raised
        await client.close()


async def test_attach_runs_the_relay_with_a_services_start_and_stop(mongo_uri, kafka_bootstrap, township, enterprise):
    settings = Settings(service=relay_name(), kafka_bootstrap_servers=kafka_bootstrap, mongodb_uri=mongo_uri,
                        mongodb_db=f"it_{uuid.uuid4().hex[:12]}", port=1)
    service = Service.create(settings)
    relay = attach(service, ["visits"], idle_s=0.05)
    event = visit(township, enterprise)
    try:
        for hook in service.on_start:  # as the lifespan does: hooks first, then the broker
            await hook(service)
        await service.start_broker()
        await write(service.db, "v1", [entry(event, VISITS)])
        await eventually(lambda: _empty(service.db, "v1"), what="the entry published")
        for hook in service.on_stop:
            await hook(service)
        assert relay._task is None
        assert await service.db.leases.count_documents({}) == 0  # released on stop
    finally:
        await service.broker.stop()
        await service.client.drop_database(settings.mongodb_db)
        await service.client.close()
    assert [r.value for r in await records(kafka_bootstrap, [event.id])] == [encode(event)]


# --- Kafka going away under a running relay: a private Kafka of this test, stopped and started again -----------


@pytest.mark.slow
async def test_a_running_relay_waits_out_a_kafka_outage_and_sends_each_entry_once(db, township, enterprise):
    stack = PrivateStack()
    bootstrap = stack.bootstrap
    try:
        await asyncio.to_thread(stack.start)
        private = new_broker(bootstrap)
        relay = Relay(private, db, ["visits"], relay_name(), lease_s=4.0, publish_timeout_s=1.0)
        before = visit(township, enterprise)
        during = [visit(township, enterprise) for _ in range(3)]
        try:
            await private.start()
            await relay.start()
            await write(db, "v0", [entry(before, VISITS)])
            await eventually(lambda: _empty(db, "v0"), what="the first entry published")

            await asyncio.to_thread(stack.stop_kafka)
            await write(db, "v1", [entry(e, VISITS) for e in during])

            async def failing():
                return relay.stats["errors"] >= 3

            await eventually(failing, timeout_s=30, what="three failed passes")
            assert "PublishTimeout" in relay.stats["last_error"]
            assert [e["id"] for e in await outbox_of(db, "visits", "v1")] == [e.id for e in during]

            await asyncio.to_thread(stack.start)
            await eventually(lambda: _empty(db, "v1"), timeout_s=60, what="the entries published after the outage")
        finally:
            await relay.stop()
            # With Kafka still down a queued idempotent send never expires, and stop() would flush forever.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(private.stop(), 30)
        out = await records(bootstrap, [e.id for e in [before, *during]])
        # The timed-out send was awaited again, not repeated: one record per event, in order.
        assert [ce_id(r) for r in out] == [e.id for e in [before, *during]]
    finally:
        await asyncio.to_thread(stack.stop)  # only the pids of its own state dir


async def _empty(db, doc_id) -> bool:
    return await outbox_of(db, "visits", doc_id) == []


async def write(db, doc_id, entries) -> None:
    """As a service's repository does: the write, then the hint to this process's relay (no sweep needed)."""
    await db.visits.insert_one({"_id": doc_id, **new(entries)})
    written("visits", doc_id, entries)
