"""The visits service as a real process: what it publishes, and that nothing is lost while Kafka is down."""
from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import httpx
import pytest

from tests.support import kafka
from tests.support.apps import bearer
from tests.support.events import uscc
from tests.support.private_stack import PrivateStack
from tests.support.processes import ServiceProcess
from buildingblocks.clock import clock

T = "/api/v1/townships/dacheng"
CLERK = bearer("dacheng_clerk")
VISIT_FIELDS = {"visit_id", "enterprise_id", "visited_on", "channel", "kind", "visitors", "services", "summary", "demands"}
REGISTERED_FIELDS = {"enterprise_id", "name", "category", "registered_on", "park", "assigned_officials"}
ENVELOPE = {"specversion", "id", "type", "source", "subject", "time", "datacontenttype", "dataschema", "township", "data"}


@pytest.fixture
def private(stack):
    s = PrivateStack().start()
    yield s
    s.stop()


@pytest.fixture
def visits(private):
    proc = ServiceProcess("visits", {**private.env(), "MONGODB_DB": "visits"}).start()
    yield proc
    proc.stop()


def events_on(bootstrap: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for r, event in asyncio.run(kafka.read_events(bootstrap, "visits.v1", timeout_s=30)):
        out.setdefault(event["subject"], []).append(r)
    return out


def wait_for_subjects(bootstrap: str, subjects: set[str], timeout_s: float) -> dict[str, list]:
    deadline = time.monotonic() + timeout_s
    while True:
        found = events_on(bootstrap)
        if subjects <= set(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def post(proc: ServiceProcess, path: str, body: dict) -> dict:
    r = httpx.post(f"{proc.url}{T}{path}", json=body, headers=CLERK, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()


def register(proc: ServiceProcess, enterprise_id: str) -> None:
    post(proc, "/enterprises", {"enterprise_id": enterprise_id, "name": "大程镇测试企业", "category": "industry",
                                "assigned_official_ids": ["c-li"]})


def log_visit(proc: ServiceProcess, enterprise_id: str) -> dict:
    return post(proc, "/visits", {
        "enterprise_id": enterprise_id, "visited_on": (clock.today() - timedelta(days=1)).isoformat(),
        "visitor_ids": ["c-li"], "channel": "in_person", "kind": "routine", "services": ["policy", "warmth"],
        "summary": "复工复产", "demands": [{"category": "labour", "description": "缺焊工"}],
    })


def test_a_registration_and_a_visit_are_published_as_contract_cloudevents_keyed_by_enterprise(private, visits):
    import random

    enterprise = uscc(random.Random(1))
    post(visits, "/officials", {"official_id": "c-li", "name": "李县长", "rank": "county"})
    register(visits, enterprise)
    v = log_visit(visits, enterprise)
    found = wait_for_subjects(private.bootstrap, {enterprise, v["visit_id"]}, 30)
    [registered], [logged] = found[enterprise], found[v["visit_id"]]
    for record in (registered, logged):
        assert record.key == enterprise.encode()
        assert dict(record.headers)["content-type"] == b"application/cloudevents+json; charset=UTF-8"
    reg, vis = json.loads(registered.value), json.loads(logged.value)
    assert set(reg) == set(vis) == ENVELOPE
    assert (reg["type"], vis["type"]) == ("EnterpriseRegistered", "VisitLogged")
    assert reg["source"] == vis["source"] == "/townships/dacheng/visits"
    assert reg["township"] == "dacheng" and vis["subject"] == v["visit_id"]
    assert set(reg["data"]) == REGISTERED_FIELDS and set(vis["data"]) == VISIT_FIELDS
    assert reg["data"]["assigned_officials"] == [{"official_id": "c-li", "name": "李县长", "rank": "county"}]
    assert vis["data"]["demands"][0]["demand_id"] == f"{v['visit_id']}-d1"
    assert registered.offset < logged.offset and registered.partition == logged.partition  # one enterprise, in order


def test_with_kafka_stopped_visits_are_accepted_and_every_event_goes_out_once_it_is_back(private, visits):
    import random

    rng = random.Random(2)
    enterprises = [uscc(rng) for _ in range(5)]
    post(visits, "/officials", {"official_id": "c-li", "name": "李县长", "rank": "county"})
    private.stop_kafka()
    started = time.monotonic()
    for e in enterprises:
        register(visits, e)
    logged = [log_visit(visits, e)["visit_id"] for e in enterprises]
    assert time.monotonic() - started < 30  # accepted without waiting for the broker
    assert httpx.get(f"{visits.url}/health").status_code == 503  # and /health says Kafka is missing

    private.start()  # Kafka again, same data
    subjects = set(enterprises) | set(logged)
    found = wait_for_subjects(private.bootstrap, subjects, 90)
    assert subjects <= set(found), f"missing after the restart: {subjects - set(found)}"
    for subject in subjects:  # at-least-once: a repeat, if any, is the same event
        assert len({json.loads(r.value)["id"] for r in found[subject]}) == 1


def test_the_registry_publishes_each_seeded_township_once_and_every_rename(private, visits):
    visits.stop()
    visits.start()  # a second start seeds nothing new: the townships exist
    r = httpx.put(f"{visits.url}/api/v1/townships/xiyang", json={"name": "西阳", "county": "示范县"},
                  headers=bearer("county_admin"), timeout=10)
    assert r.status_code == 200, r.text
    deadline = time.monotonic() + 30
    while True:
        told = [(r.key, e) for r, e in asyncio.run(kafka.read_events(private.bootstrap, "visits.v1", timeout_s=30))
                if e["type"] == "TownshipRegistered"]
        if len(told) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    by_key: dict[bytes, list] = {}
    for k, e in told:  # one township's events in one partition, in order; two townships' in any order
        by_key.setdefault(k, []).append((e["township"], e["data"]["name"], e["data"]["county"]))
    assert by_key == {b"dacheng": [("dacheng", "大程镇", "示范县")],
                      b"xiyang": [("xiyang", "西阳镇", "示范县"), ("xiyang", "西阳", "示范县")]}
