"""★ 接触次数, the contact budget (issue 15, item 8) — the visits and issues services as real processes on the real Kafka
and store, on a generated county: Dacheng and Xiyang, their officials, enterprises and routine visits; one enterprise
on both townships' lists gets visits in both, a planned visit (VisitPlanned on visits.v1, as the plan handler
publishes it), a cancelled one, hotline and platform demands (raised as issues, and a 12345 DemandReported on
intake.v1 that the issues service turns into one) — beyond the county's budget of 4 a month:

- GET /api/v1/contacts/{month} puts it first, with its visits, plans and demands counted once county-wide, over budget;
  the other enterprises follow with the contacts they were generated with;
- a planner making one more plan for it is warned (contacts.plan_warning, which the plan handler calls, on the
  service's own store) and told to join the visit already planned; an enterprise within budget is not warned;
- a township token gets 403 for the county view.

The services live on 2031-07-20 (CLOCK_TODAY), a month no other test writes to; the enterprises are this test's own."""
from __future__ import annotations

import asyncio
import random
import uuid
from datetime import date, datetime, timedelta, timezone

import httpx
import pytest
from pymongo import AsyncMongoClient

from contracts import encode
from contracts.envelope import new_event
from contracts.events import DemandReported, Official, VisitPlanCancelled, VisitPlanned
from contracts.topics import key_for
from tests.support import kafka
from tests.support.apps import bearer
from tests.support.events import uscc
from tests.support.processes import own_state, wait_for
from visits import contacts
from visits.repository import SETTINGS

TODAY, MONTH = "2031-07-20", "2031-07"
CLERK = {"dacheng": bearer("dacheng_clerk"), "xiyang": bearer("xiyang_clerk")}
ADMIN, LEADER = bearer("county_admin"), bearer("county_leader")
BUDGET = 4


@pytest.fixture
def services(stack):
    procs = {name: own_state(name, CLOCK_TODAY=TODAY) for name in ("visits", "issues")}
    try:
        for proc in procs.values():
            proc.start()
        yield procs
    finally:
        for proc in procs.values():
            proc.stop()


def call(method: str, url: str, headers: dict, body: dict | None = None, status: int = 200) -> dict:
    r = httpx.request(method, url, json=body, headers=headers, timeout=30)
    assert r.status_code == status, (method, url, r.status_code, r.text)
    return r.json()


def visit(eid: str, on: date, *visitors: str, kind: str = "routine") -> dict:
    return {"enterprise_id": eid, "visited_on": on.isoformat(), "visitor_ids": list(visitors), "channel": "in_person",
            "kind": kind, "services": ["policy"], "summary": "", "demands": []}


def published(bootstrap: str, topic: str, township: str, *payloads) -> None:
    at = datetime(2031, 7, 19, 10, tzinfo=timezone(timedelta(hours=8)))
    source = f"/townships/{township}/visits" if topic == "visits.v1" else "/systems/12345"
    records = [(key_for(p.enterprise_id), encode(new_event(p, township=township, source=source, time=at))) for p in payloads]
    asyncio.run(kafka.produce(bootstrap, topic, records))


def test_an_enterprise_over_the_budget_tops_the_county_view_and_a_planner_is_warned(services, stack):
    rng = random.Random()
    v, i = services["visits"].url, services["issues"].url
    run = uuid.uuid4().hex[:8]
    call("PUT", f"{v}/api/v1/townships/county/contact-budget", ADMIN, {"max_contacts_per_month": BUDGET})

    # The generated county: two officials per township, 3-5 enterprises each with 0-2 visits two weeks apart.
    officials: dict[str, list[str]] = {}
    others: dict[str, int] = {}  # enterprise → its visits this month
    for t in ("dacheng", "xiyang"):
        base = f"/api/v1/townships/{t}"
        officials[t] = [f"{t[0]}-{run}-{n}" for n in range(2)]
        for n, oid in enumerate(officials[t]):
            call("POST", f"{v}{base}/officials", CLERK[t], {"official_id": oid, "name": f"{t}干部{n}", "rank": "cadre"}, 201)
        for _ in range(rng.randint(3, 5)):
            eid = uscc(rng)
            call("POST", f"{v}{base}/enterprises", CLERK[t], {"enterprise_id": eid, "name": f"企业{eid[-4:]}",
                 "category": "industry", "registered_on": "2031-01-01"}, 201)
            others[eid] = rng.randint(0, 2)
            for k in range(others[eid]):
                call("POST", f"{v}{base}/visits", CLERK[t], visit(eid, date(2031, 7, 1 + 15 * k), rng.choice(officials[t])), 201)

    # The busy enterprise, on both lists: three visits (one joint), a plan and a cancelled plan, four demands.
    busy = uscc(rng)
    for t in ("dacheng", "xiyang"):
        call("POST", f"{v}/api/v1/townships/{t}/enterprises", CLERK[t], {"enterprise_id": busy, "name": "忙碌机械厂",
             "category": "industry", "registered_on": "2031-01-01"}, 201)
    d1, d2 = officials["dacheng"]
    call("POST", f"{v}/api/v1/townships/dacheng/visits", CLERK["dacheng"], visit(busy, date(2031, 7, 1), d1), 201)
    call("POST", f"{v}/api/v1/townships/dacheng/visits", CLERK["dacheng"], visit(busy, date(2031, 7, 3), d1, d2, kind="joint"), 201)
    call("POST", f"{v}/api/v1/townships/xiyang/visits", CLERK["xiyang"], visit(busy, date(2031, 7, 2), officials["xiyang"][0]), 201)
    refused = httpx.post(f"{v}/api/v1/townships/dacheng/visits", json=visit(busy, date(2031, 7, 8), d2), headers=CLERK["dacheng"])
    assert refused.status_code == 409  # the disturbance guard still guards; a refused visit is no contact
    lead = Official(official_id=d1, name="dacheng干部0", rank="cadre")
    published(stack[0], "visits.v1", "dacheng",
              VisitPlanned(plan_id=f"p-{run}-1", enterprise_id=busy, planned_on=date(2031, 7, 25), lead=lead, purpose="回访"),
              VisitPlanned(plan_id=f"p-{run}-2", enterprise_id=busy, planned_on=date(2031, 7, 28), lead=lead),
              VisitPlanCancelled(plan_id=f"p-{run}-2", enterprise_id=busy, cancelled_on=date(2031, 7, 19), reason="并入"))
    for t, source in (("dacheng", "hotline"), ("dacheng", "platform"), ("xiyang", "hotline")):
        call("POST", f"{i}/api/v1/townships/{t}/issues", CLERK[t], {"enterprise_id": busy, "category": "labour",
             "description": "缺工", "source": source}, 201)
    call("POST", f"{i}/api/v1/townships/dacheng/issues", CLERK["dacheng"], {"enterprise_id": busy, "category": "land",
         "description": "走访中提出", "source": "visit"}, 201)  # raised in a visit: the visit is the contact
    published(stack[0], "intake.v1", "dacheng", DemandReported(
        external_id=f"12345-{run}", enterprise_id=busy, category="approval", description="审批慢",
        reported_on=date(2031, 7, 18), source="hotline"))
    want = {"visits": 3, "planned": 1, "demands": 4, "contacts": 8}

    def view() -> dict | None:
        found = call("GET", f"{v}/api/v1/contacts/{MONTH}?limit=1000", LEADER)
        top = found["enterprises"][0] if found["enterprises"] else {}
        counted = {e["enterprise_id"]: e["contacts"] for e in found["enterprises"]}
        done = top.get("enterprise_id") == busy and {k: top[k] for k in want} == want and \
            all(counted.get(e, 0) == n for e, n in others.items())
        return found if done else None

    found = wait_for(view, 90, "the county view to count the busy enterprise's contacts")
    top = found["enterprises"][0]
    assert (top["name"], top["townships"], top["over_budget"], found["budget"]) == ("忙碌机械厂", ["dacheng", "xiyang"], True, BUDGET)
    assert [p["plan_id"] for p in top["open_plans"]] == [f"p-{run}-1"]
    assert found["over_budget"] == 1 + sum(n > BUDGET for n in others.values())  # generated with at most 2: only it
    ranked = [e["contacts"] for e in found["enterprises"]]
    assert ranked == sorted(ranked, reverse=True)

    # One more plan for it: warned, and told to join the visit planned on 07-25; a quiet enterprise: no warning.
    async def warnings():
        client = AsyncMongoClient(stack[1])
        try:
            db = client[services["visits"].env["MONGODB_DB"]]
            quiet = next(e for e, n in others.items() if n == 0) if 0 in others.values() else next(iter(others))
            return (await contacts.plan_warning(db, SETTINGS, busy, date(2031, 7, 24)),
                    await contacts.plan_warning(db, SETTINGS, quiet, date(2031, 7, 24)))
        finally:
            await client.close()

    warned, calm = asyncio.run(warnings())
    assert (warned["code"], warned["contacts"], warned["budget"]) == ("contact_budget", 9, BUDGET)
    assert warned["join"] == [{"plan_id": f"p-{run}-1", "on": "2031-07-25", "township": "dacheng", "lead": "dacheng干部0"}]
    assert "join the visit planned on 2031-07-25 with dacheng干部0" in warned["message"]
    assert calm is None

    r = httpx.get(f"{v}/api/v1/contacts/{MONTH}", headers=CLERK["dacheng"])
    assert r.status_code == 403
    assert httpx.get(f"{v}/api/v1/contacts/2031-13", headers=LEADER).status_code == 422
