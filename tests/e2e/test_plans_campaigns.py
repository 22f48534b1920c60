"""Planned visits and 企业走访日 campaigns on the real stack: the visits service as a real process on the real Kafka
and store, driven through HTTP, with its events read back from visits.v1. The service lives on a fixed day
(CLOCK_TODAY); a second process of it, on the same database, lives on the campaign's day to log its visits."""
from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from datetime import date, timedelta

import httpx
import pytest

from tests.support import kafka
from tests.support.apps import bearer
from tests.support.events import uscc
from tests.support.processes import ServiceProcess

T = "/api/v1/townships/dacheng"
CLERK = bearer("dacheng_clerk")
TODAY = date(2026, 3, 10)
DAY = timedelta(days=1)
CAMPAIGN_DAY = TODAY + 30 * DAY


@pytest.fixture
def db_name() -> str:
    return f"e2e_plans_{uuid.uuid4().hex[:10]}"


def service(db: str, today: date) -> ServiceProcess:
    return ServiceProcess("visits", {"MONGODB_DB": db, "CLOCK_TODAY": today.isoformat()}).start()


def call(proc: ServiceProcess, method: str, path: str, body: dict | None = None, expect: int = 200) -> dict:
    r = httpx.request(method, f"{proc.url}{T}{path}", json=body, headers=CLERK, timeout=15)
    assert r.status_code == expect, r.text
    return r.json()


def visit(enterprise: str, on: date, *visitors: str, kind: str = "routine", **extra) -> dict:
    return {"enterprise_id": enterprise, "visited_on": on.isoformat(), "visitor_ids": list(visitors), "channel": "in_person",
            "kind": kind, "services": ["policy"], "summary": "", "demands": [], **extra}


def ours(bootstrap: str, keys: set[str], expected: int, timeout_s: float = 60) -> list[dict]:
    """The events on visits.v1 keyed by our enterprises and campaign, once `expected` of them are there."""
    deadline = time.monotonic() + timeout_s
    while True:
        events = asyncio.run(kafka.read_events(bootstrap, "visits.v1", timeout_s=30))
        found = [e for r, e in events if r.key and r.key.decode() in keys]
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_plans_steer_to_join_a_campaign_makes_its_plans_and_its_progress_is_planned_against_done(stack, db_name):
    rng = random.Random()
    e1, e2, e3 = (uscc(rng) for _ in range(3))
    campaign_id = f"c-{uuid.uuid4().hex[:8]}"
    proc = service(db_name, TODAY)
    try:
        for oid, name, rank in [("c-li", "李县长", "county"), ("c-wang", "王副县长", "county"), ("c-zhang", "张副县长", "county"),
                                ("t-hao", "郝书记", "township"), ("k-zhao", "赵干事", "cadre")]:
            call(proc, "POST", "/officials", {"official_id": oid, "name": name, "rank": rank}, 201)
        for eid, assigned in ((e1, ["c-li"]), (e2, ["c-wang", "c-zhang"]), (e3, ["c-zhang"])):
            call(proc, "POST", "/enterprises", {"enterprise_id": eid, "name": f"企业{eid[-4:]}", "category": "industry",
                                                "registered_on": "2026-01-05", "assigned_official_ids": assigned}, 201)

        # A plan inside another plan's quiet period is steered to join it, and joins in one step.
        first = call(proc, "POST", "/plans", {"enterprise_id": e1, "planned_on": (TODAY + 10 * DAY).isoformat(),
                                              "lead_id": "c-li", "invited_ids": ["t-hao"], "purpose": "了解用工"}, 201)
        assert first["status"] == "planned" and first["warnings"] == []
        steered = call(proc, "POST", "/plans", {"enterprise_id": e1, "planned_on": (TODAY + 12 * DAY).isoformat(),
                                                "lead_id": "k-zhao"}, 409)
        assert steered["join"] == {"plan_id": first["plan_id"], "planned_on": (TODAY + 10 * DAY).isoformat(),
                                   "lead": {"official_id": "c-li", "name": "李县长", "rank": "county"}}
        assert f"Join the visit planned on {TODAY + 10 * DAY} with 李县长" in steered["detail"]
        joined = call(proc, "POST", f"/plans/{steered['join']['plan_id']}/join", {"official_id": "k-zhao"})
        assert [o["official_id"] for o in joined["joined"]] == ["k-zhao"]
        assert [p["plan_id"] for p in call(proc, "GET", "/plans?official_id=k-zhao")] == [first["plan_id"]]

        # A routine visit within the planned visit's quiet period is steered the same way.
        routine = call(proc, "POST", "/visits", visit(e1, TODAY, "k-zhao"), 409)
        assert routine["join"]["plan_id"] == first["plan_id"]

        # A cancelled plan needs a reason.
        missing = httpx.post(f"{proc.url}{T}/plans/{first['plan_id']}/cancel", json={}, headers=CLERK, timeout=15)
        blank = httpx.post(f"{proc.url}{T}/plans/{first['plan_id']}/cancel", json={"reason": "  "}, headers=CLERK, timeout=15)
        assert missing.status_code == blank.status_code == 422
        assert {e["loc"][-1] for e in missing.json()["detail"]} == {e["loc"][-1] for e in blank.json()["detail"]} == {"reason"}
        cancelled = call(proc, "POST", f"/plans/{first['plan_id']}/cancel", {"reason": "企业停产检修，改期"})
        assert (cancelled["status"], cancelled["reason"]) == ("cancelled", "企业停产检修，改期")

        # 企业走访日: three leaders invited, one declines; its plans.
        call(proc, "POST", "/campaigns", {"campaign_id": campaign_id, "name": "一季度企业走访日", "days": [CAMPAIGN_DAY.isoformat()],
                                          "enterprise_ids": [e1, e2, e3], "invited_ids": ["c-li", "c-wang", "c-zhang"],
                                          "host_id": "t-hao"}, 201)
        call(proc, "POST", f"/campaigns/{campaign_id}/answers", {"official_id": "c-li", "accepted": True})
        call(proc, "POST", f"/campaigns/{campaign_id}/answers", {"official_id": "c-wang", "accepted": True})
        call(proc, "POST", f"/campaigns/{campaign_id}/answers", {"official_id": "c-zhang", "accepted": False}, 422)
        shown = call(proc, "POST", f"/campaigns/{campaign_id}/answers",
                     {"official_id": "c-zhang", "accepted": False, "reason": "当日赴市开会"})
        assert [i["answer"] for i in shown["invitations"]] == ["accepted", "accepted", "declined"]
        made = call(proc, "POST", f"/campaigns/{campaign_id}/plans")
        leads = {p["enterprise_id"]: p["lead"]["official_id"] for p in made["made"]}
        assert leads == {e1: "c-li", e2: "c-wang", e3: "t-hao"} and made["not_planned"] == []
        assert call(proc, "POST", f"/campaigns/{campaign_id}/plans")["made"] == []  # made once
        plan_of = {p["enterprise_id"]: p["plan_id"] for p in made["made"]}
    finally:
        proc.stop()

    # On the day: the visits logged against the plans complete them; E3's is not visited.
    proc = service(db_name, CAMPAIGN_DAY)
    try:
        v1 = call(proc, "POST", "/visits", visit(e1, CAMPAIGN_DAY, "c-li", "t-hao", kind="visit_day", plan_id=plan_of[e1]), 201)
        v2 = call(proc, "POST", "/visits", visit(e2, CAMPAIGN_DAY, "c-wang", kind="visit_day", plan_id=plan_of[e2]), 201)
        assert v1["plan_id"] == plan_of[e1]
        assert call(proc, "GET", f"/plans/{plan_of[e1]}")["status"] == "done"
        progress = call(proc, "GET", f"/campaigns/{campaign_id}/progress")
        assert [(r["enterprise_id"], r["status"], r["visit_id"]) for r in progress["enterprises"]] == [
            (e1, "done", v1["visit_id"]), (e2, "done", v2["visit_id"]), (e3, "planned", None)]
        assert [(l["official_id"], l["answer"], l["planned"], l["done"]) for l in progress["leaders"]] == [
            ("c-li", "accepted", 1, 1), ("c-wang", "accepted", 1, 1), ("c-zhang", "declined", 0, 0), ("t-hao", "host", 3, 1)]
        assert progress["totals"] == {"enterprises": 3, "planned": 3, "done": 2, "cancelled": 0}
    finally:
        proc.stop()

    # Every event on visits.v1 once.
    expected = Counter({"EnterpriseRegistered": 3, "VisitPlanned": 4, "VisitPlanJoined": 1, "VisitPlanCancelled": 1,
                        "CampaignAnnounced": 1, "CampaignInvitationAnswered": 3, "VisitLogged": 2})
    found = ours(stack[0], {e1, e2, e3, campaign_id}, sum(expected.values()))
    assert Counter(e["type"] for e in found) == expected
    assert len({e["id"] for e in found}) == len(found)
    logged = {e["data"]["visit_id"]: e["data"].get("plan_id") for e in found if e["type"] == "VisitLogged"}
    assert logged == {v1["visit_id"]: plan_of[e1], v2["visit_id"]: plan_of[e2]}
    [announced] = [e for e in found if e["type"] == "CampaignAnnounced"]
    assert announced["subject"] == campaign_id and announced["data"]["enterprise_ids"] == [e1, e2, e3]
    assert sorted((e["data"]["official_id"], e["data"]["accepted"]) for e in found if e["type"] == "CampaignInvitationAnswered") == [
        ("c-li", True), ("c-wang", True), ("c-zhang", False)]
    assert {e["data"].get("campaign_id") for e in found if e["type"] == "VisitPlanned"} == {None, campaign_id}
