"""Who did what, and an enterprise that left the list (issue 15, item 7) — the visits, issues and reporting services as
real processes on the real Kafka and store:

- every write of the visits service (official, enterprise, assignment and its end, an edit, a visit, a plan made,
  joined and cancelled, a 企业走访日 announced, answered and its plans made, the township's settings, the county's
  contact budget), of the issues service (an issue's steps, the township's rules, a unit and the routing) and of the
  reporting service (the county's quotas) names the token's person and the service's time, in the document and its
  history, as the GET views show them (the routing's and the quotas' in their stored documents);
- PATCH of an enterprise's status (迁出 from a day) keeps the history and publishes EnterpriseChanged once;
- the reporting service stops counting it from that day: the township's May report lists one enterprise fewer than
  April's, and a visit after it left covers nothing.

The services live on 20 May of a year drawn per run (CLOCK_TODAY): no other test, nor an earlier run of this one on the
same Kafka, writes to its April and May; the enterprises are this test's own."""
from __future__ import annotations

import asyncio
import random

import httpx
import pymongo
import pytest

from tests.support import kafka
from tests.support.apps import bearer
from tests.support.events import uscc
from tests.support.processes import call, running, wait_for

Y = random.Random().randint(2040, 2099)
TODAY = f"{Y}-05-20"
T = "/api/v1/townships/dacheng"
CLERK, ADMIN = bearer("dacheng_clerk"), bearer("county_admin")
CLERK_NAME, ADMIN_NAME = "大程镇企业办", "县营商办管理员"


@pytest.fixture
def services(stack):
    with running(("visits", "issues", "reporting"), CLOCK_TODAY=TODAY) as procs:
        yield procs


def stamped(doc: dict, by: str) -> None:
    assert doc["recorded_by"] == by, doc
    assert doc["recorded_at"].startswith(TODAY), doc  # the services' clock, not the machine's


def test_every_write_names_its_author_and_an_enterprise_that_moved_out_stops_counting(services, stack):
    rng = random.Random()
    gone, stays = uscc(rng), uscc(rng)
    v, i, rep = services["visits"].url, services["issues"].url, services["reporting"].url
    oid = f"c-{rng.randrange(10**9)}"

    stamped(call("POST", f"{v}{T}/officials", CLERK, {"official_id": oid, "name": "李县长", "rank": "county"}, 201), CLERK_NAME)
    for eid in (gone, stays):
        stamped(call("POST", f"{v}{T}/enterprises", CLERK, {"enterprise_id": eid, "name": f"企业{eid[-4:]}",
                "category": "industry", "registered_on": f"{Y}-03-01", "assigned_official_ids": []}, 201), CLERK_NAME)
    stamped(call("POST", f"{v}{T}/enterprises/{gone}/assignments", CLERK, {"official_id": oid, "start": f"{Y}-03-01"}, 201),
            CLERK_NAME)
    stamped(call("POST", f"{v}{T}/enterprises/{gone}/assignments/{oid}/end", CLERK, {"end": f"{Y}-04-30"}), CLERK_NAME)
    visit = call("POST", f"{v}{T}/visits", CLERK, {"enterprise_id": gone, "visited_on": f"{Y}-04-10", "visitor_ids": [oid],
                 "channel": "in_person", "kind": "routine", "services": ["policy"], "summary": "", "demands": []}, 201)
    stamped(visit, CLERK_NAME)
    stamped(call("GET", f"{v}{T}/visits/{visit['visit_id']}", CLERK), CLERK_NAME)

    # 迁出 from 05-01, and a name corrected on the way; then a visit after it left.
    changed = call("PATCH", f"{v}{T}/enterprises/{gone}", CLERK, {"status": "moved_out", "status_on": f"{Y}-05-01",
                   "name": "已迁出企业"})
    stamped(changed, CLERK_NAME)
    assert (changed["status"], changed["status_on"], changed["name"]) == ("moved_out", f"{Y}-05-01", "已迁出企业")
    shown = call("GET", f"{v}{T}/enterprises/{gone}", bearer("dacheng_viewer"))
    assert [(h["action"], h["by"]) for h in shown["history"]] == [
        ("registered", CLERK_NAME), ("assigned", CLERK_NAME), ("assignment_ended", CLERK_NAME), ("changed", CLERK_NAME)]
    assert all(h["at"].startswith(TODAY) for h in shown["history"])
    assert shown["history"][-1]["status"] == {"from": "active", "to": "moved_out"}
    r = httpx.patch(f"{v}{T}/enterprises/{gone}", json={"status": "gone"}, headers=CLERK, timeout=30)
    assert r.status_code == 422 and "status" in r.text
    r = httpx.patch(f"{v}{T}/enterprises/{gone}", json={"status": "active", "status_on": f"{Y}-06-01"}, headers=CLERK, timeout=30)
    assert r.status_code == 422 and "status_on" in r.text and "future" in r.text
    call("POST", f"{v}{T}/visits", CLERK, {"enterprise_id": gone, "visited_on": f"{Y}-05-12", "visitor_ids": [oid],
         "channel": "phone", "kind": "routine", "services": [], "summary": "回访", "demands": []}, 201)

    # Settings: the township's quiet period and the county's contact budget.
    put = call("PUT", f"{v}{T}/settings", ADMIN, {"quiet_period_days": 10})
    stamped(put, ADMIN_NAME)
    assert [(h["quiet_period_days"], h["recorded_by"]) for h in put["history"]][-1] == (10, ADMIN_NAME)
    stamped(call("GET", f"{v}{T}/settings", CLERK), ADMIN_NAME)
    stamped(call("PUT", f"{v}/api/v1/townships/county/contact-budget", ADMIN, {"max_contacts_per_month": 5}), ADMIN_NAME)
    assert call("GET", f"{v}/api/v1/townships/county/contact-budget", bearer("county_leader"))["max_contacts_per_month"] == 5

    # Plans: made, joined, cancelled, each change on the plan and in the enterprise's history.
    host = f"t-{rng.randrange(10**9)}"
    call("POST", f"{v}{T}/officials", CLERK, {"official_id": host, "name": "镇干部", "rank": "township"}, 201)
    plan = call("POST", f"{v}{T}/plans", CLERK, {"enterprise_id": stays, "planned_on": f"{Y}-06-10", "lead_id": host}, 201)
    stamped(plan, CLERK_NAME)
    stamped(call("POST", f"{v}{T}/plans/{plan['plan_id']}/join", ADMIN, {"official_id": oid}), ADMIN_NAME)
    stamped(call("POST", f"{v}{T}/plans/{plan['plan_id']}/cancel", CLERK, {"reason": "企业停工检修"}), CLERK_NAME)
    stamped(call("GET", f"{v}{T}/plans/{plan['plan_id']}", CLERK), CLERK_NAME)
    # A 企业走访日: announced by the clerk, answered by the admin, its plans made by the clerk.
    campaign = call("POST", f"{v}{T}/campaigns", CLERK, {"name": "二季度企业走访日", "days": [f"{Y}-06-15"],
                    "enterprise_ids": [stays], "invited_ids": [oid], "host_id": host}, 201)
    stamped(campaign, CLERK_NAME)
    cid = campaign["campaign_id"]
    stamped(call("POST", f"{v}{T}/campaigns/{cid}/answers", ADMIN, {"official_id": oid, "accepted": True}), ADMIN_NAME)
    [made] = call("POST", f"{v}{T}/campaigns/{cid}/plans", CLERK)["made"]
    stamped(made, CLERK_NAME)
    shown = call("GET", f"{v}{T}/campaigns/{cid}", CLERK)
    stamped(shown, ADMIN_NAME)
    assert [(h["action"], h["by"]) for h in shown["history"]] == [("announced", CLERK_NAME), ("answered", ADMIN_NAME)]
    planned = call("GET", f"{v}{T}/enterprises/{stays}", CLERK)["history"]
    assert [(h["action"], h["by"], h.get("plan_id")) for h in planned][1:] == [
        ("planned", CLERK_NAME, plan["plan_id"]), ("plan_joined", ADMIN_NAME, plan["plan_id"]),
        ("plan_cancelled", CLERK_NAME, plan["plan_id"]), ("planned", CLERK_NAME, made["plan_id"])]

    # The issues service: every step of an issue names its author; so do the township's rules.
    issue = call("POST", f"{i}{T}/issues", CLERK, {"enterprise_id": stays, "category": "labour", "description": "缺焊工",
                 "source": "hotline"}, 201)
    call("POST", f"{i}{T}/issues/{issue['issue_id']}/close", CLERK, {"closed_on": TODAY, "outcome": "resolved",
         "resolution": "已对接", "satisfaction": "satisfied"})
    history = call("GET", f"{i}{T}/issues/{issue['issue_id']}", CLERK)["history"]
    assert [(h["action"], h["by"]) for h in history] == [("raised", CLERK_NAME), ("closed", CLERK_NAME)]
    rules = call("PUT", f"{i}{T}/settings", ADMIN, {"red_after_working_days": 6})
    stamped(rules, ADMIN_NAME)
    stamped(call("GET", f"{i}{T}/settings", CLERK), ADMIN_NAME)

    # The units' registry and routing, and the county's visit quotas, name who set them.
    unit_id = f"dacheng-w{rng.randrange(10**6)}"
    stamped(call("PUT", f"{i}{T}/units/{unit_id}", ADMIN, {"name": "测试服务点", "kind": "other"}), ADMIN_NAME)
    stamped([u for u in call("GET", f"{i}{T}/units", CLERK) if u["unit_id"] == unit_id][0], ADMIN_NAME)
    call("PUT", f"{i}{T}/routing", ADMIN, {"market": unit_id})
    call("PUT", f"{rep}/api/v1/quotas", ADMIN, {"county": {"visits": 1, "every": "quarter"}})
    with pymongo.MongoClient(stack[1]) as client:  # kept beside the setting, which the API shows as it always did
        routing = client[services["issues"].env["MONGODB_DB"]]["township_settings"].find_one({"_id": "dacheng"})
        quotas = client[services["reporting"].env["MONGODB_DB"]]["scorecard_quotas"].find_one({"_id": "county"})
    assert routing["routing_recorded_by"] == ADMIN_NAME and routing["routing_history"][-1]["by"] == ADMIN_NAME
    assert quotas["recorded_by"] == ADMIN_NAME and quotas["recorded_at"].startswith(TODAY)

    # EnterpriseChanged once on visits.v1, as the enterprise now is.
    def published() -> list[dict]:
        events = asyncio.run(kafka.read_events(stack[0], "visits.v1", timeout_s=10))
        return [e for _, e in events if e["type"] == "EnterpriseChanged" and e["subject"] == gone]

    [event] = wait_for(published, 60, "EnterpriseChanged on visits.v1")
    assert event["township"] == "dacheng" and event["data"] == {
        "enterprise_id": gone, "name": "已迁出企业", "park": None, "status": "moved_out", "status_on": f"{Y}-05-01",
        "changed_on": TODAY}

    # Reporting: listed in April (and covered by its April visit), gone in May whatever else the township has.
    def report(period: str) -> dict:
        r = httpx.get(f"{rep}/api/v1/reports/dacheng/{period}", headers=CLERK, timeout=30)
        return r.json() if r.status_code == 200 else {}

    def both_seen() -> tuple[dict, dict] | None:
        april, may = report(f"{Y}-04"), report(f"{Y}-05")
        if april.get("enterprises_visited") == 1 and april["enterprises_registered"] - may.get("enterprises_registered", 0) == 1:
            return april, may
        return None

    april, may = wait_for(both_seen, 90, "the reports to count the enterprise in April and not in May")
    assert may["enterprises_visited"] == 0 and may["visits"] == 1  # the May visit counts as a visit, covers nothing
