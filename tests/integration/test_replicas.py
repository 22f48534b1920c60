"""Two replicas of each service on one store and one Kafka give the results of one: the disturbance guard refuses
all but one of concurrent conflicting visits, a reporting replica that did not project an event still serves it, a
calendar loaded through one issues replica is counted by the other, and one replica sweeps (each escalation is
published once). The replicas are two instances of the service's app in this process, each with its own Mongo
client, Kafka consumers and relay, on one database and one consumer group: nothing is shared but the servers.
"""
from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from datetime import date, timedelta

import pytest
from pymongo import AsyncMongoClient

from contracts import parse
from contracts.topics import ISSUES, VISITS
from issues.app import create_app as issues_app
from issues.calendar import WorkCalendar, builtin_schedules, parse_schedule
from reporting.app import create_app as reporting_app
from tests.support import events as hand
from tests.support.apps import bearer, replica, shared_state
from tests.support.kafka import produce, read_events
from tests.support.reference import ref_period, reference_report
from visits import handlers as visit_handlers
from visits import repository as visit_repository
from visits.app import create_app as visits_app

T = "/api/v1/townships/dacheng"
CLERK, ADMIN = bearer("dacheng_clerk"), bearer("county_admin")
E1 = "91330782MA2ABCD13A"
DAY = date(2026, 3, 2)  # every date here is fixed: nothing depends on the day the suite runs


async def eventually(check, timeout_s: float = 60.0, what: str = "condition", every_s: float = 0.2):
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        if result := await check():
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what}: not reached in {timeout_s:.0f} s")
        await asyncio.sleep(every_s)


@pytest.fixture
async def db_of(mongo_uri):
    client = AsyncMongoClient(mongo_uri, tz_aware=True)
    yield lambda name: client[name]
    await client.close()


# --------------------------------------------------------------------------------------------------- visits


@pytest.fixture
async def visits(stack, monkeypatch):
    name = shared_state(monkeypatch, RECOVERY_INTERVAL_S="3600")  # the tests run the recovery pass by hand
    async with replica(visits_app) as a, replica(visits_app) as b:
        a.db_name = b.db_name = name
        yield a, b


async def seed_visits(api) -> None:
    for oid, name, rank in [("c-li", "李县长", "county"), ("t-hao", "郝书记", "township"), ("k-zhao", "赵干事", "cadre")]:
        r = await api.post(f"{T}/officials", json={"official_id": oid, "name": name, "rank": rank}, headers=CLERK)
        assert r.status_code == 201, r.text
    body = {"enterprise_id": E1, "name": "企业13A", "category": "industry", "registered_on": "2026-01-05",
            "assigned_official_ids": ["c-li"]}
    assert (await api.post(f"{T}/enterprises", json=body, headers=CLERK)).status_code == 201


def visit(on: date, *visitors: str, kind: str = "routine", **extra) -> dict:
    return {"enterprise_id": E1, "visited_on": on.isoformat(), "visitor_ids": list(visitors or ["c-li"]),
            "channel": "in_person", "kind": kind, "services": ["policy"], "summary": "", "demands": [], **extra}


async def enterprise_doc(db_of, api) -> dict:
    return await db_of(api.db_name)[visit_repository.ENTERPRISES].find_one({"_id": f"dacheng:{E1}"})


async def test_of_twenty_concurrent_routine_visits_over_two_replicas_exactly_one_is_accepted(visits, db_of):
    a, b = visits
    await seed_visits(a)
    officials = ["c-li", "t-hao", "k-zhao"]
    requests = [
        (a, b)[i % 2].post(f"{T}/visits", json=visit(DAY + timedelta(days=i % 10), officials[i % 3]), headers=CLERK)
        for i in range(20)
    ]
    answers = await asyncio.gather(*requests)
    accepted = [r.json() for r in answers if r.status_code == 201]
    refused = [r.json() for r in answers if r.status_code == 409]
    assert len(accepted) == 1 and len(refused) == 19, [r.status_code for r in answers]
    first = accepted[0]
    assert {r["last_visit"]["visit_id"] for r in refused} == {first["visit_id"]}
    for api in (a, b):
        listed = (await api.get(f"{T}/visits", params={"enterprise_id": E1}, headers=CLERK)).json()
        assert [v["visit_id"] for v in listed] == [first["visit_id"]]
    doc = await enterprise_doc(db_of, a)
    assert [v["visit_id"] for v in doc["visit_log"]] == [first["visit_id"]] and doc["pending_visits"] == []


async def test_concurrent_joint_visits_are_all_kept_and_same_key_retries_store_one_visit(visits, db_of):
    a, b = visits
    await seed_visits(a)
    joint = [(a, b)[i % 2].post(f"{T}/visits", json=visit(DAY, "k-zhao", "c-li", kind="joint"), headers=CLERK)
             for i in range(12)]
    answers = await asyncio.gather(*joint)
    assert [r.status_code for r in answers] == [201] * 12  # nothing lost to a concurrent write of the log
    retries = [(a, b)[i % 2].post(f"{T}/visits", json=visit(DAY + timedelta(days=40)), headers={**CLERK, "Idempotency-Key": "k-1"})
               for i in range(8)]
    again = await asyncio.gather(*retries)
    assert [r.status_code for r in again] == [201] * 8 and len({r.json()["visit_id"] for r in again}) == 1
    doc = await enterprise_doc(db_of, a)
    assert len(doc["visit_log"]) == 13 and doc["pending_visits"] == []
    assert len((await b.get(f"{T}/visits", params={"enterprise_id": E1}, headers=CLERK)).json()) == 13


async def test_a_visit_reserved_by_a_process_that_died_is_completed_by_its_retry_or_by_the_recovery_pass(
    visits, db_of, monkeypatch
):
    a, b = visits
    await seed_visits(a)
    real = visit_repository.Repository.store_reserved

    async def dies(self, *args, **kwargs):
        raise RuntimeError("killed between the reservation and the insert")

    monkeypatch.setattr(visit_repository.Repository, "store_reserved", dies)
    key = {**CLERK, "Idempotency-Key": "died-once"}
    with contextlib.suppress(RuntimeError):
        r = await a.post(f"{T}/visits", json=visit(DAY), headers=key)
        assert r.status_code == 500
    monkeypatch.setattr(visit_repository.Repository, "store_reserved", real)
    retried = await b.post(f"{T}/visits", json=visit(DAY), headers=key)  # the other replica: not refused, completed
    assert retried.status_code == 201, retried.text
    assert (await a.get(f"{T}/visits/{retried.json()['visit_id']}", headers=CLERK)).status_code == 200
    assert (await b.post(f"{T}/visits", json=visit(DAY), headers=key)).json() == retried.json()

    later = DAY + timedelta(days=30)  # a visit reserved and never retried: it counts, and is stored by the recovery
    monkeypatch.setattr(visit_repository.Repository, "store_reserved", dies)
    with contextlib.suppress(RuntimeError):
        await b.post(f"{T}/visits", json=visit(later), headers={**CLERK, "Idempotency-Key": "died-for-good"})
    monkeypatch.setattr(visit_repository.Repository, "store_reserved", real)
    pending = (await enterprise_doc(db_of, a))["pending_visits"]
    assert len(pending) == 1
    refused = await a.post(f"{T}/visits", json=visit(later + timedelta(days=1), "t-hao"), headers=CLERK)
    assert refused.status_code == 409 and refused.json()["last_visit"]["visit_id"] == pending[0]["visit_id"]
    assert await visit_handlers.recover_reserved(a.app.state.repository, older_than_s=0) == 1
    assert await visit_handlers.recover_reserved(b.app.state.repository, older_than_s=0) == 0
    assert (await b.get(f"{T}/visits/{pending[0]['visit_id']}", headers=CLERK)).status_code == 200
    assert (await enterprise_doc(db_of, a))["pending_visits"] == []


# ------------------------------------------------------------------------------------------------ reporting


def reporting_events(township: str, enterprises: list[str], visits: list[tuple[str, str, date]]) -> list[tuple[bytes, dict]]:
    out = [(e.encode(), hand.enterprise_registered(township, e, date(2026, 1, 5))) for e in enterprises]
    out += [(e.encode(), hand.visit_logged(township, e, v, on)) for e, v, on in visits]
    return out


async def test_a_reporting_replica_that_did_not_project_an_event_serves_it_at_once(stack, kafka_bootstrap, monkeypatch, db_of):
    township = f"t-{uuid.uuid4().hex[:12]}"
    name = shared_state(monkeypatch)
    viewer = bearer("county_viewer")
    e1, e2 = "91330782MA2ABCD13A", "91110000600037341L"
    sent = reporting_events(township, [e1, e2], [(e1, "v1", date(2026, 1, 10)), (e2, "v2", date(2026, 2, 3))])
    q1 = ref_period("2026-Q1")

    def expected() -> dict:
        return reference_report([parse(hand.encode(body)) for _, body in sent], township, q1)

    def same(got: dict) -> bool:
        want = expected()
        return {k: got.get(k) for k in want} == want

    async with replica(reporting_app) as a, replica(reporting_app) as b:
        await produce(kafka_bootstrap, VISITS, [(k, hand.encode(body)) for k, body in sent])

        async def both_fresh():
            for api in (a, b):
                r = await api.get(f"/api/v1/reports/{township}/2026-Q1", headers=viewer)
                if r.status_code != 200 or not same(r.json()):
                    return False
            return True

        await eventually(both_fresh, what="both replicas serving the first events")
        counties = [(await api.get("/api/v1/reports/county/2026-Q1", headers=viewer)).json() for api in (a, b)]
        for c in counties:  # kept now, by both
            assert same(next(t for t in c["townships"] if t["township"] == township))

        # One more visit: one event, one partition, so one replica projects it; both must serve it at once.
        versions = db_of(name)["projection_versions"]
        seen = (await versions.find_one({"_id": "g1"}))["v"][township]
        extra = reporting_events(township, [], [(e1, "v3", date(2026, 3, 20))])
        sent += extra
        await produce(kafka_bootstrap, VISITS, [(k, hand.encode(body)) for k, body in extra])
        # Its fact is stored, then its township's version bumped: from then on no replica may serve the old tally.
        await eventually(lambda: versions.find_one({"_id": "g1", f"v.{township}": {"$gt": seen}}), what="the bump")
        assert await db_of(name)["visits"].find_one({"_id": f"{township}:v3"})
        for api in (a, b):
            report = (await api.get(f"/api/v1/reports/{township}/2026-Q1", headers=viewer)).json()
            assert same(report) and report["visits"] == 3
            county = (await api.get("/api/v1/reports/county/2026-Q1", headers=viewer)).json()
            assert same(next(t for t in county["townships"] if t["township"] == township))


# --------------------------------------------------------------------------------------------------- issues


def issue(**extra) -> dict:
    return {"enterprise_id": E1, "category": "labour", "description": "缺焊工20名", "source": "leader", **extra}


async def test_a_calendar_loaded_through_one_issues_replica_is_counted_by_the_other_at_once(stack, monkeypatch):
    shared_state(monkeypatch, SWEEP_INTERVAL_S="3600")
    async with replica(issues_app) as a, replica(issues_app) as b:
        # 60 working days of the land SLA from 2026-10-20 run into 2027, a year no schedule is shipped for.
        assert (await a.put(f"{T}/settings", json={"sla_working_days": {"land": 60}}, headers=ADMIN)).status_code == 200
        before = await b.post(f"{T}/issues", json=issue(category="land", raised_on="2026-10-20"), headers=CLERK)
        assert before.status_code == 201, before.text
        assert before.json()["deadline_provisional"] is True  # the rule set through A is B's too
        assert 2027 not in (await b.get("/api/v1/calendar", headers=ADMIN)).json()["years"]

        schedule = {"year": 2027, "source": "test", "holidays": ["2027-01-01/2027-01-08"], "workdays": ["2027-01-09"]}
        assert (await a.put("/api/v1/calendar/2027", json=schedule, headers=ADMIN)).status_code == 200
        want = WorkCalendar({**builtin_schedules(), 2027: parse_schedule(schedule)}).add_working_days(date(2026, 10, 20), 60)
        assert want.day.isoformat() != before.json()["deadline"] and not want.provisional

        assert 2027 in (await b.get("/api/v1/calendar", headers=ADMIN)).json()["years"]
        after = (await b.post(f"{T}/issues", json=issue(category="land", raised_on="2026-10-20"), headers=CLERK)).json()
        assert (after["deadline"], after["deadline_provisional"]) == (want.day.isoformat(), False)
        recounted = (await b.get(f"{T}/issues/{before.json()['issue_id']}", headers=CLERK)).json()
        assert (recounted["deadline"], recounted["deadline_provisional"]) == (want.day.isoformat(), False)


async def escalations(bootstrap: str, issue_ids: set[str]) -> list[str]:
    out = []
    for _, body in await read_events(bootstrap, ISSUES):
        if body.get("type") == "IssueEscalated" and body["data"]["issue_id"] in issue_ids:
            out.append(body["data"]["issue_id"])
    return out


async def test_one_issues_replica_sweeps_each_escalation_is_published_once_and_the_other_takes_over(
    stack, kafka_bootstrap, monkeypatch
):
    shared_state(monkeypatch, SWEEP_INTERVAL_S="0.2")
    # Deadlines in January 2026 are red (overdue by more than 5 working days) on any day the suite can run.
    overdue = issue(raised_on="2026-01-05", deadline="2026-01-06")
    async with contextlib.AsyncExitStack() as stack_a, contextlib.AsyncExitStack() as stack_b:
        a = await stack_a.enter_async_context(replica(issues_app))
        b = await stack_b.enter_async_context(replica(issues_app))
        ids = set()
        for i in range(6):
            r = await (a, b)[i % 2].post(f"{T}/issues", json=overdue, headers=CLERK)
            assert r.status_code == 201, r.text
            ids.add(r.json()["issue_id"])

        async def all_red():
            listed = (await a.get(f"{T}/issues", params={"level": "red"}, headers=CLERK)).json()
            return {i["issue_id"] for i in listed} >= ids

        await eventually(all_red, what="every issue red")
        await asyncio.sleep(1.0)  # several more sweep intervals
        sweeps = {name: api.app.state.sweep["sweeps"] for name, api in (("a", a), ("b", b))}
        assert sorted(sweeps.values())[0] == 0 and sorted(sweeps.values())[1] > 0, sweeps  # one replica sweeps
        await eventually(lambda: _count(kafka_bootstrap, ids, len(ids)), what="the escalations published")
        assert sorted(await escalations(kafka_bootstrap, ids)) == sorted(ids)  # each once

        leader, other, leader_stack = (a, b, stack_a) if sweeps["a"] else (b, a, stack_b)
        await leader_stack.aclose()  # stops the leader: it hands the lease over
        late = await other.post(f"{T}/issues", json=overdue, headers=CLERK)
        late_id = late.json()["issue_id"]

        async def late_red():
            return (await other.get(f"{T}/issues/{late_id}", headers=CLERK)).json()["level"] == "red"

        await eventually(late_red, timeout_s=30, what="the other replica sweeping after the leader stopped")
        assert other.app.state.sweep["sweeps"] > 0


async def _count(bootstrap: str, ids: set[str], n: int) -> bool:
    return len(await escalations(bootstrap, ids)) >= n


async def test_intake_is_exactly_once_across_two_issues_replicas_sharing_the_partitions(stack, kafka_bootstrap, monkeypatch, db_of):
    township = f"t-{uuid.uuid4().hex[:12]}"
    name = shared_state(monkeypatch, SWEEP_INTERVAL_S="3600")
    rng = random.Random(11)
    sent = []
    for _ in range(20):
        visit_id = f"v-{uuid.uuid4().hex[:8]}"
        sent.append(hand.visit_logged(township, hand.uscc(rng), visit_id, DAY, demands=[
            {"demand_id": f"{visit_id}-d1", "category": "labour", "description": "缺焊工", "resolved_on_spot": False}]))
    # Each event twice, under two keys: the copies land on different partitions, so on either replica, at once.
    messages = [(key, hand.encode(v)) for v in sent for key in (v["data"]["enterprise_id"].encode(), b"other-" + v["id"].encode())]
    async with replica(issues_app), replica(issues_app):
        await produce(kafka_bootstrap, VISITS, messages)
        issues = db_of(name)["issues"]
        await eventually(lambda: _at_least(issues, township, 20), what="one issue per demand")

        async def raised() -> dict[str, set[str]]:
            out: dict[str, set[str]] = {}
            for _, body in await read_events(kafka_bootstrap, ISSUES):
                if body["township"] == township and body["type"] == "IssueRaised":
                    out.setdefault(body["data"]["issue_id"], set()).add(body["id"])
            return out

        await eventually(lambda: _published(raised, 20), what="every IssueRaised published")
        await asyncio.sleep(1.0)  # anything extra would show up now
        assert await issues.count_documents({"township": township}) == 20
        found = await raised()
        assert len(found) == 20 and all(len(ids) == 1 for ids in found.values())  # one event per issue, once


async def _at_least(collection, township: str, n: int) -> bool:
    return await collection.count_documents({"township": township}) >= n


async def _published(raised, n: int):
    found = await raised()
    return found if len(found) >= n else None
