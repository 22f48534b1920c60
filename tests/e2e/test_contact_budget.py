"""★ 接触次数, the contact budget (issue 15, item 8) — the visits and issues services as real processes on the real Kafka
and store, on a generated county: Dacheng and Xiyang, their officials, enterprises and routine visits; one enterprise
on both townships' lists gets visits in both, a planned visit (VisitPlanned on visits.v1, as the plan handler
made through the plans API), a cancelled one, hotline and platform demands (raised as issues, and a 12345 DemandReported on
intake.v1 that the issues service turns into one) — beyond the county's budget of 4 a month:

- GET /api/v1/contacts/{month} puts it first, with its visits, plans and demands counted once county-wide, over budget;
  the other enterprises follow with the contacts they were generated with;
- a planner making one more plan for it gets the plan (201) with a warning in `warnings` telling them to join the
  visit already planned; a plan for an enterprise within budget has none;
- a township token gets 403 for the county view.

The services live on 20 July of a year drawn per run (CLOCK_TODAY): no other test, nor an earlier run of this one on
the same Kafka, has contacts in that month, so the busy enterprise must top the view; the enterprises are its own."""
from __future__ import annotations

import asyncio
import random
import uuid
from datetime import date, datetime, timedelta, timezone

import httpx
import pytest

from contracts import encode
from contracts.envelope import new_event
from contracts.events import DemandReported
from contracts.topics import key_for
from tests.support import kafka
from tests.support.apps import bearer
from tests.support.events import uscc
from tests.support.processes import call, running, wait_for

Y = random.Random().randint(2040, 2099)
TODAY, MONTH = f"{Y}-07-20", f"{Y}-07"
CLERK = {"dacheng": bearer("dacheng_clerk"), "xiyang": bearer("xiyang_clerk")}
ADMIN, LEADER = bearer("county_admin"), bearer("county_leader")
BUDGET = 4


@pytest.fixture
def services(stack):
    with running(("visits", "issues"), CLOCK_TODAY=TODAY) as procs:
        yield procs


def visit(eid: str, on: date, *visitors: str, kind: str = "routine") -> dict:
    return {"enterprise_id": eid, "visited_on": on.isoformat(), "visitor_ids": list(visitors), "channel": "in_person",
            "kind": kind, "services": ["policy"], "summary": "", "demands": []}


def published(bootstrap: str, topic: str, township: str, *payloads) -> None:
    at = datetime(Y, 7, 19, 10, tzinfo=timezone(timedelta(hours=8)))
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
    home: dict[str, str] = {}  # enterprise → its township
    for t in ("dacheng", "xiyang"):
        base = f"/api/v1/townships/{t}"
        officials[t] = [f"{t[0]}-{run}-{n}" for n in range(2)]
        for n, oid in enumerate(officials[t]):
            call("POST", f"{v}{base}/officials", CLERK[t], {"official_id": oid, "name": f"{t}干部{n}", "rank": "cadre"}, 201)
        for _ in range(rng.randint(3, 5)):
            eid = uscc(rng)
            call("POST", f"{v}{base}/enterprises", CLERK[t], {"enterprise_id": eid, "name": f"企业{eid[-4:]}",
                 "category": "industry", "registered_on": f"{Y}-01-01"}, 201)
            others[eid], home[eid] = rng.randint(0, 2), t
            for k in range(others[eid]):
                call("POST", f"{v}{base}/visits", CLERK[t], visit(eid, date(Y, 7, 1 + 15 * k), rng.choice(officials[t])), 201)

    # The busy enterprise, on both lists: three visits (one joint), a plan and a cancelled plan, four demands.
    busy = uscc(rng)
    for t in ("dacheng", "xiyang"):
        call("POST", f"{v}/api/v1/townships/{t}/enterprises", CLERK[t], {"enterprise_id": busy, "name": "忙碌机械厂",
             "category": "industry", "registered_on": f"{Y}-01-01"}, 201)
    d1, d2 = officials["dacheng"]
    call("POST", f"{v}/api/v1/townships/dacheng/visits", CLERK["dacheng"], visit(busy, date(Y, 7, 1), d1), 201)
    call("POST", f"{v}/api/v1/townships/dacheng/visits", CLERK["dacheng"], visit(busy, date(Y, 7, 3), d1, d2, kind="joint"), 201)
    call("POST", f"{v}/api/v1/townships/xiyang/visits", CLERK["xiyang"], visit(busy, date(Y, 7, 2), officials["xiyang"][0]), 201)
    refused = httpx.post(f"{v}/api/v1/townships/dacheng/visits", json=visit(busy, date(Y, 7, 8), d2), headers=CLERK["dacheng"])
    assert refused.status_code == 409  # the disturbance guard still guards; a refused visit is no contact
    plans = f"{v}/api/v1/townships/dacheng/plans"
    first = call("POST", plans, CLERK["dacheng"], {"enterprise_id": busy, "planned_on": f"{Y}-07-25", "lead_id": d1,
                 "purpose": "回访"}, 201)
    second = call("POST", plans, CLERK["dacheng"], {"enterprise_id": busy, "planned_on": f"{Y}-07-28", "lead_id": d2,
                  "override_reason": "专项检查"}, 201)
    call("POST", f"{plans}/{second['plan_id']}/cancel", CLERK["dacheng"], {"reason": "并入 07-25 的走访"})
    for t, source in (("dacheng", "hotline"), ("dacheng", "platform"), ("xiyang", "hotline")):
        call("POST", f"{i}/api/v1/townships/{t}/issues", CLERK[t], {"enterprise_id": busy, "category": "labour",
             "description": "缺工", "source": source}, 201)
    call("POST", f"{i}/api/v1/townships/dacheng/issues", CLERK["dacheng"], {"enterprise_id": busy, "category": "land",
         "description": "走访中提出", "source": "visit"}, 201)  # raised in a visit: the visit is the contact
    published(stack[0], "intake.v1", "dacheng", DemandReported(
        external_id=f"12345-{run}", enterprise_id=busy, category="approval", description="审批慢",
        reported_on=date(Y, 7, 18), source="hotline"))
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
    assert [p["plan_id"] for p in top["open_plans"]] == [first["plan_id"]]
    assert found["over_budget"] == 1 + sum(n > BUDGET for n in others.values())  # generated with at most 2: only it
    ranked = [e["contacts"] for e in found["enterprises"]]
    assert ranked == sorted(ranked, reverse=True)

    # One more plan for it: accepted, with the warning and the visit planned on 07-25 to join instead.
    more = call("POST", plans, CLERK["dacheng"], {"enterprise_id": busy, "planned_on": f"{Y}-07-31", "lead_id": d2,
                "override_reason": "县领导带队"}, 201)
    [warned] = more["warnings"]
    assert (warned["code"], warned["contacts"], warned["budget"], warned["month"]) == ("contact_budget", 9, BUDGET, MONTH)
    assert warned["join"] == [{"plan_id": first["plan_id"], "on": f"{Y}-07-25", "township": "dacheng", "lead": "dacheng干部0"}]
    assert f"join the visit planned on {Y}-07-25 with dacheng干部0" in warned["message"] and "接触预算" in warned["message"]
    history = call("GET", f"{v}/api/v1/townships/dacheng/enterprises/{busy}", CLERK["dacheng"])["history"]
    assert [(h["action"], h["by"]) for h in history if h["action"].startswith("plan")] == [
        ("planned", "大程镇企业办"), ("planned", "大程镇企业办"), ("plan_cancelled", "大程镇企业办"), ("planned", "大程镇企业办")]
    quiet = next(e for e, t in home.items() if t == "dacheng")
    calm = call("POST", plans, CLERK["dacheng"], {"enterprise_id": quiet, "planned_on": f"{Y}-07-31", "lead_id": d1}, 201)
    assert calm["warnings"] == []

    r = httpx.get(f"{v}/api/v1/contacts/{MONTH}", headers=CLERK["dacheng"])
    assert r.status_code == 403
    assert httpx.get(f"{v}/api/v1/contacts/{Y}-13", headers=LEADER).status_code == 422
