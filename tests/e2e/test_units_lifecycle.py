"""The responsible units work an issue raised from a visit, on the real stack (the visits and issues services as
processes, the real Kafka and store): routed to the category's default unit, acknowledged (签收) by the unit's
handler token, returned (退回) and routed again by the clerk, co-handled (协办) with the co-unit's part reported,
extended after the supervisor approved the request (延期审批), closed by the unit, followed up (回访) dissatisfied →
reopened → acknowledged → closed → followed up satisfied. Every step's event is on issues.v1 once, in order; and a
handler of one unit can neither read nor act on another unit's issue."""
from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.support import kafka
from tests.support.apps import bearer
from tests.support.processes import own_state, wait_for

TODAY = "2026-03-16"  # a Monday; both services live on it (CLOCK_TODAY)
HOME = "dacheng"  # the development tokens' township
E1 = "91330782MA2ABCD13A"
CLERK, ADMIN, SUPERVISOR = bearer("dacheng_clerk"), bearer("county_admin"), bearer("county_supervisor")
RSS, RSJ, ZRZYJ = bearer("dacheng_unit_rss"), bearer("county_unit_rsj"), bearer("county_unit_zrzyj")
FORBIDDEN = {"detail": "this token may not do that here"}


@pytest.fixture
def services(stack):
    env = {"CLOCK_TODAY": TODAY, "SWEEP_INTERVAL_S": "3600"}  # no escalation during the test: its events are fixed
    procs = {"visits": own_state("visits", **env), "issues": own_state("issues", **env)}
    try:
        for proc in procs.values():
            proc.start()
        yield {name: proc.url for name, proc in procs.items()}
    finally:
        for proc in procs.values():
            proc.stop()


def ok(r: httpx.Response, status: int = 200) -> dict:
    assert r.status_code == status, (r.request.method, str(r.request.url), r.status_code, r.text)
    return r.json()


def events_of(bootstrap: str, subject: str) -> list[dict]:
    found = []
    for record, body in asyncio.run(kafka.read_events(bootstrap, "issues.v1", timeout_s=30)):
        if body["subject"] == subject:
            found.append({**body, "_key": record.key})
    return found


def test_a_visit_demand_worked_by_the_units_from_routing_to_a_satisfied_follow_up(services, kafka_bootstrap):
    issues, visits = services["issues"] + "/api/v1/townships", services["visits"] + f"/api/v1/townships/{HOME}"
    # The units and Dacheng's routing: labour goes to the town's 人社所.
    for township, unit_id, name, kind in [("county", "c-rsj", "县人社局", "county_department"),
                                          ("county", "c-zrzyj", "县自然资源局", "county_department"),
                                          (HOME, "dacheng-rss", "大程镇人社所", "township_office")]:
        ok(httpx.put(f"{issues}/{township}/units/{unit_id}", headers=ADMIN, json={"name": name, "kind": kind}))
    assert ok(httpx.put(f"{issues}/{HOME}/routing", headers=ADMIN, json={"labour": "dacheng-rss"}))["labour"] == "dacheng-rss"

    # A visit with a labour demand, logged in the visits service.
    ok(httpx.post(f"{visits}/officials", headers=CLERK, json={"official_id": "c-li", "name": "李县长", "rank": "county"}), 201)
    ok(httpx.post(f"{visits}/enterprises", headers=CLERK, json={
        "enterprise_id": E1, "name": "机械厂", "category": "industry", "registered_on": "2026-03-02",
        "assigned_official_ids": ["c-li"]}), 201)
    visit_id = ok(httpx.post(f"{visits}/visits", headers=CLERK, json={
        "enterprise_id": E1, "visited_on": TODAY, "visitor_ids": ["c-li"], "channel": "in_person", "kind": "routine",
        "services": ["policy"], "summary": "了解用工",
        "demands": [{"category": "labour", "description": "缺焊工20名"}]}), 201)["visit_id"]

    t = f"{issues}/{HOME}/issues"
    [raised] = wait_for(lambda: [i for i in ok(httpx.get(t, headers=CLERK)) if i["visit_id"] == visit_id], 60,
                        "the visit's demand as an issue")
    assert (raised["unit_id"], raised["responsible_unit"], raised["routing"]) == ("dacheng-rss", "大程镇人社所", "routed")
    issue = f"{t}/{raised['issue_id']}"
    # The unit's queue holds it (and, from the shared Kafka's history, only other labour demands routed there).
    rss_queue = ok(httpx.get(services["issues"] + "/api/v1/units/dacheng-rss/issues", headers=RSS))
    assert raised["issue_id"] in [i["issue_id"] for i in rss_queue]
    assert {(i["unit_id"], i["category"]) for i in rss_queue} == {("dacheng-rss", "labour")}

    # 签收, then 退回 to the dispatcher, who routes it to the county's 人社局.
    assert ok(httpx.post(f"{issue}/acknowledge", headers=RSS, json={}))["routing"] == "acknowledged"
    ok(httpx.post(f"{issue}/return", headers=RSS, json={"reason": "属县人社局职责", "suggested_unit_id": "c-rsj"}))
    returned = ok(httpx.get(t, headers=CLERK, params={"routing": "returned"}))
    assert raised["issue_id"] in [i["issue_id"] for i in returned]
    ok(httpx.post(f"{issue}/assign", headers=CLERK, json={"unit_id": "c-rsj", "reason": "按退回建议改派"}))

    # The town's 人社所 no longer reads or acts on it: the same 403 as an issue that does not exist.
    for path in ("", "/acknowledge", "/close"):
        method = "GET" if not path else "POST"
        theirs = httpx.request(method, issue + path, headers=RSS, json={})
        nobodys = httpx.request(method, f"{t}/i-00000000-0000-0000-0000-000000000000{path}", headers=RSS, json={})
        assert (theirs.status_code, theirs.json()) == (nobodys.status_code, nobodys.json()) == (403, FORBIDDEN), path

    ok(httpx.post(f"{issue}/acknowledge", headers=RSJ, json={}))
    ok(httpx.post(f"{issue}/co-handling", headers=CLERK, json={"co_unit_ids": ["c-zrzyj"]}))
    queue = services["issues"] + "/api/v1/units/{}/issues"
    assert raised["issue_id"] in [i["issue_id"] for i in ok(httpx.get(queue.format("c-zrzyj"), headers=ZRZYJ))]  # co-unit
    assert raised["issue_id"] in [i["issue_id"] for i in ok(httpx.get(queue.format("c-rsj"), headers=RSJ))]  # the lead
    assert raised["issue_id"] not in [i["issue_id"] for i in ok(httpx.get(queue.format("dacheng-rss"), headers=RSS))]
    missing = httpx.post(f"{issue}/close", headers=RSJ, json={"closed_on": TODAY, "outcome": "resolved", "resolution": "x"})
    assert missing.status_code == 409 and "c-zrzyj" in missing.text  # the co-unit's part is missing: nothing published
    assert httpx.post(f"{issue}/close", headers=ZRZYJ, json={"closed_on": TODAY, "outcome": "resolved",
                                                             "resolution": "x"}).status_code == 403  # it does not lead
    ok(httpx.post(f"{issue}/progress", headers=ZRZYJ, json={"note": "厂区用地已核实", "part_done": True}))

    # 延期申请 by the unit, approved by the supervisor.
    asked = ok(httpx.post(f"{issue}/extension-requests", headers=RSJ,
                          json={"deadline": "2026-04-30", "reason": "待省厅批复招聘计划"}), 201)
    decision = f"{issue}/extension-requests/{asked['request_id']}/decision"
    assert httpx.post(decision, headers=CLERK, json={"approved": True}).status_code == 403
    assert ok(httpx.post(decision, headers=SUPERVISOR, json={"approved": True, "reason": "同意"}))["deadline"] == "2026-04-30"

    closing = {"closed_on": TODAY, "outcome": "resolved", "resolution": "招聘会招到焊工18名"}
    assert ok(httpx.post(f"{issue}/close", headers=RSJ, json=closing))["status"] == "closed"
    assert httpx.post(f"{issue}/follow-up", headers=RSJ, json={"satisfaction": "satisfied"}).status_code == 403
    reopened = ok(httpx.post(f"{issue}/follow-up", headers=SUPERVISOR, json={"satisfaction": "dissatisfied",
                                                                               "note": "仍缺焊工"}))
    assert (reopened["status"], reopened["routing"], reopened["unit_id"]) == ("open", "routed", "c-rsj")
    ok(httpx.post(f"{issue}/acknowledge", headers=RSJ, json={}))
    ok(httpx.post(f"{issue}/close", headers=RSJ, json={**closing, "resolution": "再次招聘补齐"}))
    final = ok(httpx.post(f"{issue}/follow-up", headers=CLERK, json={"satisfaction": "satisfied"}))
    assert final["status"] == "closed" and [f["satisfaction"] for f in final["follow_ups"]] == ["dissatisfied", "satisfied"]

    expected = ["IssueRaised", "IssueAcknowledged", "IssueReturned", "IssueAssigned", "IssueAcknowledged",
                "IssueCoHandlingSet", "IssueProgressNoted", "IssueExtensionRequested", "IssueExtensionDecided",
                "IssueDeadlineChanged", "IssueClosed", "IssueFollowedUp", "IssueReopened", "IssueAcknowledged",
                "IssueClosed", "IssueFollowedUp"]
    found = wait_for(lambda: (e := events_of(kafka_bootstrap, raised["issue_id"])) and len(e) >= len(expected) and e,
                     60, "every step's event on issues.v1")
    assert [e["type"] for e in found] == expected  # each once, in order (nothing for the refused steps)
    assert len({e["id"] for e in found}) == len(found) and {e["_key"] for e in found} == {E1.encode()}
    data = [e["data"] for e in found]
    assert data[0]["unit_id"] == "dacheng-rss" and data[1]["unit_id"] == "dacheng-rss" and data[1]["on_time"] is True
    assert data[2]["suggested_unit_id"] == "c-rsj"
    assert (data[3]["unit_id"], data[3]["previous_unit_id"], data[3]["responsible_unit"]) == ("c-rsj", "dacheng-rss", "县人社局")
    assert data[6] == {**data[6], "unit_id": "c-zrzyj", "part_done": True}
    assert data[8]["approved"] is True and data[9]["deadline"] == "2026-04-30"
    assert data[10]["unit_id"] == "c-rsj" and data[10]["working_days_to_close"] == 0
    assert data[11]["satisfaction"] == "dissatisfied" and data[15]["satisfaction"] == "satisfied"
    assert all(e["township"] == HOME for e in found)
    units = [e for r, e in asyncio.run(kafka.read_events(kafka_bootstrap, "issues.v1", timeout_s=30))
             if e["type"] == "UnitRegistered" and r.key == b"c-zrzyj"]
    assert units and units[-1]["township"] == "county" and units[-1]["data"]["name"] == "县自然资源局"
