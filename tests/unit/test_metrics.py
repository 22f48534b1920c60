"""The /metrics text without a server: HTTP by route template and status, consumers and dead letters, the outbox
backlog, leases, escalations and the consumer lag (on fake Kafka clients), all parsed back as Prometheus reads it."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata, TopicPartition
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from buildingblocks import metrics
from buildingblocks.consumer import BatchConsumer
from buildingblocks.deadletter import DeadLetters
from buildingblocks.lease import Lease
from buildingblocks.metrics import ConsumerLag, Metrics
from buildingblocks.outbox import Relay
from issues.metrics import Escalations

SAMPLES = Path(__file__).resolve().parents[2] / "contracts" / "samples"


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of an exposition, by name and labels: what Prometheus would store (and proof the text parses)."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(text: str, name: str, **labels: str) -> float:
    return samples(text)[(name, frozenset(labels.items()))]


def series(text: str, name: str) -> list[dict[str, str]]:
    return [dict(labels) for (n, labels) in samples(text) if n == name]


async def scrape(m: Metrics) -> str:
    body, content_type = await m.scrape()
    assert content_type.startswith("text/plain; version=0.0.4")
    return body.decode()


def small_app() -> tuple[FastAPI, Metrics]:
    app = FastAPI()
    m = Metrics("test")

    @app.get("/api/v1/townships/{township}/things/{thing_id}")
    async def thing(township: str, thing_id: str):
        if thing_id == "boom":
            raise RuntimeError("boom")
        return {"thing": thing_id}

    metrics.install(app, m)
    return app, m


async def get(app: FastAPI, path: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        return await client.get(path, **kwargs)


# --- HTTP ------------------------------------------------------------------------------------------------------------

async def test_requests_are_counted_by_route_template_and_status_never_by_raw_path():
    app, m = small_app()
    for thing in ("91330782MA2ABCD13A", "other", "boom"):
        await get(app, f"/api/v1/townships/dacheng/things/{thing}")
    await get(app, "/no/such/path/91330782MA2ABCD13A")
    text = (await get(app, "/metrics")).text
    route = "/api/v1/townships/{township}/things/{thing_id}"
    assert value(text, "http_requests_total", method="GET", route=route, status="200") == 2
    assert value(text, "http_requests_total", method="GET", route=route, status="500") == 1
    assert value(text, "http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert value(text, "http_request_duration_seconds_count", method="GET", route=route, status="200") == 2
    assert value(text, "http_request_duration_seconds_bucket", method="GET", route=route, status="200", le="+Inf") == 2
    assert "91330782MA2ABCD13A" not in text and "dacheng" not in text  # ids and townships stay out of labels


async def test_a_method_the_route_does_not_take_is_counted_on_its_route_and_odd_methods_as_other():
    app, m = small_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        await client.post("/api/v1/townships/dacheng/things/1")
        await client.request("BREW", "/api/v1/townships/dacheng/things/1")
    text = await scrape(m)
    route = "/api/v1/townships/{township}/things/{thing_id}"
    assert value(text, "http_requests_total", method="POST", route=route, status="405") == 1
    assert value(text, "http_requests_total", method="other", route=route, status="405") == 1


async def test_every_answer_carries_the_request_id_sent_or_a_new_one():
    app, _ = small_app()
    sent = await get(app, "/api/v1/townships/dacheng/things/1", headers={"X-Request-ID": "req-42"})
    assert sent.headers["x-request-id"] == "req-42"
    new = await get(app, "/api/v1/townships/dacheng/things/1")
    odd = await get(app, "/api/v1/townships/dacheng/things/1", headers={"X-Request-ID": 'a "quoted" id'})
    assert len(new.headers["x-request-id"]) == 32 and odd.headers["x-request-id"] not in ("", 'a "quoted" id')
    assert new.headers["x-request-id"] != odd.headers["x-request-id"]


async def test_a_service_counts_the_token_gates_refusals_on_their_route_and_serves_metrics_without_a_token():
    from visits.app import create_app

    app = create_app()  # its clients are made, not connected: no lifespan, no server
    assert (await get(app, "/api/v1/townships/dacheng/enterprises")).status_code == 401
    r = await get(app, "/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    route = "/api/v1/townships/{township}/enterprises"
    assert value(text, "http_requests_total", method="GET", route=route, status="401") == 1
    assert value(text, "outbox_pending", relay="visits") == 0
    assert value(text, "lease_held", lease="relay:visits") == 0
    # Its consumer (visits.v1 and issues.v1: the contact budget, the open issues of 我的企业) has consumed nothing: it is not connected.
    assert series(text, "consumer_records_total") == [{"group": "visits.projections.v1", "topic": "visits.v1"},
                                                      {"group": "visits.projections.v1", "topic": "issues.v1"}]
    assert series(text, "process_resident_memory_bytes")


async def test_openmetrics_when_the_scraper_asks_for_it():
    app, _ = small_app()
    r = await get(app, "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert r.headers["content-type"].startswith("application/openmetrics-text") and r.text.endswith("# EOF\n")


def test_two_services_in_one_process_keep_their_own_numbers():
    a, b = Metrics("a"), Metrics("b")
    a.observe("GET", "/x", 200, 0.01)
    assert a.requests.labels("GET", "/x", "200")._value.get() == 1
    assert b.requests.labels("GET", "/x", "200")._value.get() == 0


# --- consumers and dead letters --------------------------------------------------------------------------------------

class NoBroker:
    async def publish(self, *args: Any, **kwargs: Any) -> None:
        pass


def record(value: bytes, offset: int) -> ConsumerRecord:
    return ConsumerRecord("visits.v1", 0, offset, 0, 0, b"k", value, None, 1, len(value), [])


async def test_batches_records_and_dead_letters_by_reason():
    async def handle(batch):
        pass

    consumer = BatchConsumer(handle, DeadLetters(NoBroker(), "reporting.projections.v1"), topic="visits.v1")
    good = (SAMPLES / "VisitLogged.v1.json").read_bytes()
    await consumer([record(good, 0), record(b"{oops", 1), record(b"[1]", 2), record(b"{also bad", 3)])
    await consumer([record(good, 4)])
    m = Metrics("reporting")
    m.collect(lambda: metrics.consumer_families([consumer]))
    text = await scrape(m)
    key = dict(topic="visits.v1", group="reporting.projections.v1")
    assert value(text, "consumer_batches_total", **key) == 2
    assert value(text, "consumer_records_total", **key) == 5
    assert value(text, "consumer_retries_total", **key) == 0
    assert value(text, "consumer_dead_letters_total", **key, reason="not_json") == 2
    assert value(text, "consumer_dead_letters_total", **key, reason="not_an_object") == 1


# --- the outbox relay and leases -------------------------------------------------------------------------------------

class FakeOutboxCollection:
    """The relay's sweep query: documents whose `outbox_unsent` is not empty."""

    def __init__(self, docs: list[dict]):
        self.docs = docs

    def find(self, *_: Any):
        async def matching():
            for doc in self.docs:
                if doc["outbox_unsent"]:
                    yield doc

        return matching()

    async def bulk_write(self, updates, ordered=True):
        for update in updates:  # UpdateOne({"_id"}, {"$pull": {"outbox_unsent": {"$in": ids}}})
            ids = update._doc["$pull"]["outbox_unsent"]["$in"]
            for doc in self.docs:
                if doc["_id"] == update._filter["_id"]:
                    doc["outbox_unsent"] = [i for i in doc["outbox_unsent"] if i not in ids]


def entry(event_id: str, seq_s: int) -> dict:
    return {"id": event_id, "seq": seq_s * 1_000_000_000}


async def test_outbox_pending_and_the_oldest_ones_age():
    left = {"_id": "d0", "outbox": [entry("e3", 3), entry("e5", 5)], "outbox_unsent": ["e3", "e5"]}  # another's
    sent = {"_id": "d9", "outbox": [entry("e1", 1)], "outbox_unsent": []}
    r = Relay(broker=NoBroker(), db={"leases": None, "visits": FakeOutboxCollection([left, sent])},
              collections=["visits"], name="visits")
    assert r.backlog() == (0, None)
    r.hint("visits", "d1", [entry("e6", 6), entry("e7", 7)])  # this process's own writes
    await r.pending()  # the sweep finds d0's
    assert r.backlog() == (4, 3_000_000_000)
    m = Metrics("visits")
    m.collect(lambda: metrics.relay_families([r], now_ns=lambda: 10_000_000_000))
    text = await scrape(m)
    assert value(text, "outbox_pending", relay="visits") == 4
    assert value(text, "outbox_oldest_pending_age_seconds", relay="visits") == 7.0
    assert value(text, "outbox_published_total", relay="visits") == 0


async def test_what_the_relay_published_leaves_the_backlog():
    left = {"_id": "d0", "outbox": [{**entry("e3", 3), "topic": "visits.v1", "key": "k", "value": "{}", "headers": {}}],
            "outbox_unsent": ["e3"]}
    r = Relay(broker=NoBroker(), db={"leases": FakeLeases(), "visits": FakeOutboxCollection([left])},
              collections=["visits"], name="visits")
    assert await r.run_once() == 1
    assert r.backlog() == (0, None) and left["outbox_unsent"] == []
    assert r.stats["leader"] and r.lease.holding()


class FakeLeases:
    def __init__(self):
        self.docs = {}

    async def update_one(self, filter, update, upsert=False):
        self.docs[filter["_id"]] = update["$set"]


async def test_a_lease_is_held_until_its_term_ends():
    now = [100.0]
    lease = Lease(FakeLeases(), "relay:visits", term_s=10.0, clock=lambda: now[0])
    other = Lease(FakeLeases(), "sweep:escalation", term_s=10.0, clock=lambda: now[0])
    await lease.acquire()
    m = Metrics("visits")
    m.collect(lambda: metrics.lease_families([lease, other]))
    assert value(await scrape(m), "lease_held", lease="relay:visits") == 1
    assert value(await scrape(m), "lease_held", lease="sweep:escalation") == 0
    now[0] += 10.5  # not renewed within its term: another process may hold it now
    assert value(await scrape(m), "lease_held", lease="relay:visits") == 0


async def test_escalations_by_level_start_at_zero_and_count_what_the_sweep_changed():
    m = Metrics("issues")
    escalations = Escalations(m)
    escalations.count([{"issue_id": "i-1", "level": "yellow"}, {"issue_id": "i-2", "level": "red"},
                       {"issue_id": "i-3", "level": "yellow"}])
    text = await scrape(m)
    assert {level: value(text, "issues_escalations_total", level=level) for level in ("none", "blue", "yellow", "red")} \
        == {"none": 0, "blue": 0, "yellow": 2, "red": 1}


# --- consumer lag ----------------------------------------------------------------------------------------------------

class FakeKafka:
    """The two clients ConsumerLag uses: the admin's committed offsets, a group-less consumer's partition offsets."""

    def __init__(self, ends: dict[tuple[str, int], int], committed: dict[tuple[str, int], int], first: int = 0):
        self.ends, self.committed, self.first = ends, committed, first
        self.down = False
        self.calls = 0

    async def describe_topics(self, topics):
        if self.down:
            raise ConnectionError("Kafka is away")
        return [{"topic": topic, "error_code": 0, "partitions": [{"partition": p} for t, p in self.ends if t == topic]}
                for topic in topics]

    async def list_consumer_group_offsets(self, group, partitions=None):
        self.calls += 1
        return {TopicPartition(t, p): OffsetAndMetadata(o, "") for (t, p), o in self.committed.items()}

    async def end_offsets(self, tps):
        return {tp: self.ends[(tp.topic, tp.partition)] for tp in tps}

    async def beginning_offsets(self, tps):
        return {tp: self.first for tp in tps}

    async def close(self):
        pass

    async def stop(self):
        pass


def lag_of(kafka: FakeKafka, max_age_s: float = 0.0) -> ConsumerLag:
    async def clients():
        return kafka, kafka

    return ConsumerLag(["k:9092"], "reporting.projections.v1", ["issues.v1", "visits.v1"], max_age_s=max_age_s,
                       clients=clients)


async def lag_text(lag: ConsumerLag) -> str:
    m = Metrics("reporting")
    m.collect(lag.families)
    m.refresh_before_scrape(lag.refresh)
    return await scrape(m)


async def test_lag_is_the_end_offset_minus_the_groups_committed_one_per_partition():
    kafka = FakeKafka(ends={("visits.v1", 0): 10, ("visits.v1", 1): 4, ("issues.v1", 0): 7},
                      committed={("visits.v1", 0): 6, ("visits.v1", 1): 4}, first=2)
    text = await lag_text(lag_of(kafka))
    group = "reporting.projections.v1"
    lag = {(s["topic"], s["partition"]): value(text, "kafka_consumer_lag", **s) for s in series(text, "kafka_consumer_lag")}
    assert lag == {("visits.v1", "0"): 4, ("visits.v1", "1"): 0, ("issues.v1", "0"): 5}  # never committed: from 2
    assert value(text, "kafka_consumer_committed_offset", group=group, topic="visits.v1", partition="0") == 6
    assert value(text, "kafka_topic_end_offset", group=group, topic="visits.v1", partition="0") == 10
    assert value(text, "kafka_consumer_lag_errors_total", group=group) == 0


async def test_lag_is_measured_at_most_every_max_age_and_left_out_when_kafka_does_not_answer():
    kafka = FakeKafka(ends={("visits.v1", 0): 10}, committed={("visits.v1", 0): 10})
    lag = lag_of(kafka, max_age_s=60.0)
    await lag_text(lag)
    await lag_text(lag)
    assert kafka.calls == 1
    lag.max_age_s = 0.0
    kafka.down = True
    text = await lag_text(lag)
    assert not series(text, "kafka_consumer_lag")  # a stale number would look like a consumer that stopped
    assert value(text, "kafka_consumer_lag_errors_total", group="reporting.projections.v1") == 1
    kafka.down = False
    assert value(await lag_text(lag), "kafka_consumer_lag", group="reporting.projections.v1", topic="visits.v1",
                 partition="0") == 0


async def test_a_scrape_answers_even_when_a_refresh_fails():
    m = Metrics("x")
    m.observe("GET", "/x", 200, 0.01)

    async def broken():
        raise RuntimeError("nope")

    m.refresh_before_scrape(broken)
    assert value(await scrape(m), "http_requests_total", method="GET", route="/x", status="200") == 1
