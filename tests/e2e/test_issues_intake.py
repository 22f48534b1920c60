"""The issues service as a real process: intake exactly once from visits.v1 and intake.v1, even with every
VisitLogged delivered three times and the service SIGKILLed mid-way; IssueClosed as the contract says."""
from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import date

import httpx

from tests.support import events, kafka
from tests.support.apps import bearer
from tests.support.processes import wait_for

CLOSED_FIELDS = {"issue_id", "enterprise_id", "category", "raised_on", "deadline", "closed_on", "outcome", "resolution",
                 "satisfaction"}




def raised_on_topic(bootstrap: str, township: str) -> dict[str, set[str]]:
    """issue_id → the distinct CloudEvents ids of its IssueRaised events, for this township."""
    out: dict[str, set[str]] = {}
    for _, body in asyncio.run(kafka.read_events(bootstrap, "issues.v1", timeout_s=30)):
        if body["township"] == township and body["type"] == "IssueRaised":
            out.setdefault(body["subject"], set()).add(body["id"])
    return out


def visit_with_demands(township: str, enterprise: str) -> dict:
    visit_id = f"v-{uuid.uuid4().hex[:8]}"
    return events.visit_logged(township, enterprise, visit_id, date(2026, 3, 2), demands=[
        {"demand_id": f"{visit_id}-d1", "category": "labour", "description": "缺焊工", "resolved_on_spot": False},
        {"demand_id": f"{visit_id}-d2", "category": "policy", "description": "补贴咨询", "resolved_on_spot": True},
    ])


def test_each_open_demand_becomes_one_issue_despite_triple_delivery_and_a_kill(issues_service, kafka_bootstrap, township):
    rng = random.Random(3)
    visits = [visit_with_demands(township, events.uscc(rng)) for _ in range(40)]
    first, rest = visits[:20], visits[20:]
    issues_service.start()
    # Each VisitLogged three times (the same event), before and after the kill.
    asyncio.run(kafka.produce(kafka_bootstrap, "visits.v1",
                              [(v["data"]["enterprise_id"].encode(), events.encode(v)) for v in first for _ in range(3)]))
    wait_for(lambda: len(raised_on_topic(kafka_bootstrap, township)) >= 5, 60, "the first issues")
    issues_service.kill()
    asyncio.run(kafka.produce(kafka_bootstrap, "visits.v1",
                              [(v["data"]["enterprise_id"].encode(), events.encode(v)) for v in rest for _ in range(3)]))
    issues_service.start()

    raised = wait_for(lambda: (r := raised_on_topic(kafka_bootstrap, township)) and len(r) >= 40 and r, 90,
                        "one issue per open demand")
    time.sleep(2)  # anything extra would show up now
    raised = raised_on_topic(kafka_bootstrap, township)
    assert len(raised) == 40  # one issue per visit: the demand resolved on the spot raised none
    assert all(len(ids) == 1 for ids in raised.values())  # and one IssueRaised event per issue
    listed = httpx.get(f"{issues_service.url}/api/v1/townships/{township}/issues",
                       headers=bearer("county_viewer"), timeout=10).json()
    assert len(listed) == 40
    assert {i["visit_id"] for i in listed} == {v["data"]["visit_id"] for v in visits}
    assert {i["source"] for i in listed} == {"visit"} and {i["category"] for i in listed} == {"labour"}


def test_a_demand_reported_twice_is_one_issue_and_its_closure_carries_the_contract_fields(issues_service, kafka_bootstrap):
    township = "dacheng"  # the development clerk token's township
    issues_service.start()
    external_id = f"12345-{uuid.uuid4().hex[:8]}"
    report = events.envelope("DemandReported", township, external_id, {
        "external_id": external_id, "enterprise_id": "91330782MA2ABCD13A", "category": "infrastructure",
        "description": "厂区门前道路破损", "reported_on": "2026-03-03", "source": "hotline"})
    report["source"] = "/county/12345-hotline"
    again = {**report, "id": str(uuid.uuid4())}  # the sender sent it again, as a new event
    asyncio.run(kafka.produce(kafka_bootstrap, "intake.v1", [(b"91330782MA2ABCD13A", events.encode(m)) for m in (report, again)]))

    url = f"{issues_service.url}/api/v1/townships/{township}/issues"
    mine = lambda: [i for i in httpx.get(url, headers=bearer("dacheng_clerk")).json() if i["origin"] and i["origin"].get("external_id") == external_id]  # noqa: E731
    [issue] = wait_for(mine, 60, "the reported demand as an issue")
    time.sleep(2)
    assert len(mine()) == 1 and issue["source"] == "hotline"

    closed = httpx.post(f"{url}/{issue['issue_id']}/close", headers=bearer("dacheng_clerk"), json={
        "closed_on": "2026-03-10", "outcome": "resolved", "resolution": "已修复路面", "satisfaction": "satisfied"})
    assert closed.status_code == 200, closed.text

    def closed_event():
        for r, body in asyncio.run(kafka.read_events(kafka_bootstrap, "issues.v1", timeout_s=30)):
            if body["type"] == "IssueClosed" and body["subject"] == issue["issue_id"]:
                return r, body
    record, body = wait_for(closed_event, 30, "IssueClosed on issues.v1")
    assert record.key == b"91330782MA2ABCD13A"
    # v1's fields, and beyond v1 the working days to close and the sender's id and system (no unit: none routed)
    assert set(body["data"]) == CLOSED_FIELDS | {"working_days_to_close", "external_id", "source_system"}
    assert (body["data"]["external_id"], body["data"]["source_system"]) == (external_id, "/county/12345-hotline")
    assert body["data"]["working_days_to_close"] == 5  # Tue 2026-03-03 → Tue 2026-03-10
    assert body["data"]["deadline"] == issue["deadline"] and body["data"]["raised_on"] == "2026-03-03"
