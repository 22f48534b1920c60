"""/metrics on the real Kafka and store: the consumer lag of the group rises while its consumer is stopped, is
reported by the next process before that one has committed anything, and returns to 0 once it has caught up.

Deterministic: the restarted consumer's writes are held back (its store's insert waits for the test) while the
lag is read, so it cannot commit in between; only then is it let go. Two in-process replicas of the reporting
service, one after the other, on one database and one consumer group of the test's own."""
from __future__ import annotations

import asyncio
import json
import random
import uuid
from datetime import date

import httpx
from prometheus_client.parser import text_string_to_metric_families

from reporting.app import create_app
from reporting.store import Store
from tests.support.apps import replica, shared_state
from tests.support.events import uscc, visit_logged
from tests.support.kafka import produce

N = 12
TOPIC = "visits.v1"


def lag_by_partition(text: str, topic: str) -> dict[str, float]:
    return {s.labels["partition"]: s.value for family in text_string_to_metric_families(text)
            for s in family.samples if s.name == "kafka_consumer_lag" and s.labels["topic"] == topic}


def value(text: str, name: str, **labels: str) -> float:
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


async def metrics(client: httpx.AsyncClient) -> str:
    r = await client.get("/metrics")
    assert r.status_code == 200, r.text
    return r.text


async def until_caught_up(client: httpx.AsyncClient, timeout_s: float = 180.0) -> str:
    """The /metrics text once every partition of both topics shows lag 0 (the whole history consumed)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        text = await metrics(client)
        lags = {**lag_by_partition(text, "visits.v1"), **{f"i{p}": v for p, v in lag_by_partition(text, "issues.v1").items()}}
        if lags and not any(lags.values()):
            return text
        assert asyncio.get_running_loop().time() < deadline, f"the group never caught up: {lags}"
        await asyncio.sleep(0.5)


async def test_consumer_lag_rises_while_the_consumer_is_stopped_and_returns_to_zero(kafka_bootstrap, township,
                                                                                   monkeypatch):
    shared_state(monkeypatch)
    async with replica(create_app) as first:
        await until_caught_up(first)

    # Stopped: events keep coming.
    rng = random.Random(13)
    events = [visit_logged(township, uscc(rng), f"v-{uuid.uuid4()}", date(2026, 3, 2)) for _ in range(N)]
    await produce(kafka_bootstrap, TOPIC, [(e["data"]["enterprise_id"].encode(), json.dumps(e).encode())
                                           for e in events])

    held, inserts = asyncio.Event(), []
    add = Store.add

    async def held_back(self, facts):
        inserts.append(len(facts))
        await held.wait()
        return await add(self, facts)

    monkeypatch.setattr(Store, "add", held_back)
    async with replica(create_app) as second:
        try:
            behind = lag_by_partition(await metrics(second), TOPIC)
            assert sum(behind.values()) >= N, behind  # the group's lag, read before this process committed anything
            deadline = asyncio.get_running_loop().time() + 60
            while not inserts:  # it has the batch in hand and waits on the store: still nothing committed
                assert asyncio.get_running_loop().time() < deadline, "the restarted consumer never got the events"
                await asyncio.sleep(0.2)
            assert sum(lag_by_partition(await metrics(second), TOPIC).values()) >= N
        finally:
            held.set()
        text = await until_caught_up(second, timeout_s=60)
        assert value(text, "consumer_records_total", topic=TOPIC) >= N
        assert value(text, "kafka_consumer_lag_errors_total") == 0
