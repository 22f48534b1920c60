"""The issues service in-process on the real Kafka and store: raise, deadlines in working days, assign,
close / reopen / close again with history, extend, escalation sweep, provisional deadlines, tokens."""
from __future__ import annotations

import asyncio
import os
import uuid
from datetime import date

import pytest_asyncio

from buildingblocks.clock import FixedClock
from issues.app import create_app
from tests.support.apps import bearer, running
from tests.support.kafka import read_events

T = "/api/v1/townships/dacheng"
CLERK, ADMIN, SUPERVISOR = bearer("dacheng_clerk"), bearer("county_admin"), bearer("county_supervisor")
E1 = "91330782MA2ABCD13A"


@pytest_asyncio.fixture
async def api(stack, monkeypatch):
    monkeypatch.setenv("SWEEP_INTERVAL_S", "3600")  # the tests sweep by hand, on the dates they choose
    async with running(create_app, monkeypatch) as client:
        yield client


def issue(**extra) -> dict:
    return {"enterprise_id": E1, "category": "labour", "description": "缺焊工20名", "source": "leader", **extra}


async def test_a_raised_issue_gets_the_sla_deadline_in_working_days_across_national_day(api):
    # labour: 10 working days from 2026-09-28 (Mon): 29, 30, [Oct 1-7 holiday], 8, 9, 10 (adjusted Saturday),
    # 12, 13, 14, 15, 16 → 2026-10-16
    r = await api.post(f"{T}/issues", json=issue(raised_on="2026-09-28"), headers=CLERK)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["deadline"] == "2026-10-16" and body["deadline_provisional"] is False
    assert body["status"] == "open" and [h["action"] for h in body["history"]] == ["raised"]


async def test_close_reopen_close_again_keeps_the_history(api):
    i = (await api.post(f"{T}/issues", json=issue(raised_on="2026-03-02"), headers=CLERK)).json()
    path = f"{T}/issues/{i['issue_id']}"
    early = await api.post(f"{path}/assign", json={"responsible_unit": "县人社局", "assigned_on": "2026-03-01"}, headers=CLERK)
    assert early.status_code == 422 and "assigned_on" in early.text
    assigned = await api.post(f"{path}/assign", json={"responsible_unit": "县人社局", "reason": "需县级统筹",
                                                      "assigned_on": "2026-03-03"}, headers=CLERK)
    assert assigned.status_code == 200 and assigned.json()["status"] == "open"
    closing = {"closed_on": "2026-03-10", "outcome": "resolved", "resolution": "招聘会", "satisfaction": "dissatisfied"}
    assert (await api.post(f"{path}/close", json=closing, headers=CLERK)).status_code == 200
    assert (await api.post(f"{path}/close", json=closing, headers=CLERK)).status_code == 409
    reopened = await api.post(f"{path}/reopen", json={"reopened_on": "2026-03-12", "reason": "回访不满意"}, headers=CLERK)
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    assert reopened.json()["deadline"] == "2026-03-26"  # 10 working days after Thu 2026-03-12
    again = {**closing, "closed_on": "2026-03-20", "satisfaction": "satisfied"}
    assert (await api.post(f"{path}/close", json=again, headers=CLERK)).status_code == 200
    full = (await api.get(path, headers=CLERK)).json()
    assert [h["action"] for h in full["history"]] == ["raised", "assigned", "closed", "reopened", "closed"]
    assert full["closed_on"] == "2026-03-20" and full["satisfaction"] == "satisfied"
    assert full["responsible_unit"] == "县人社局"


async def test_the_sweep_moves_an_issue_blue_yellow_red_once_each(api):
    i = (await api.post(f"{T}/issues", json=issue(raised_on="2026-03-02", deadline="2026-03-16"), headers=CLERK)).json()
    sweep = lambda on: api.post(f"{T}/supervision/sweep", params={"on": on}, headers=ADMIN)  # noqa: E731
    levels = []
    for on in ["2026-03-02", "2026-03-12", "2026-03-13", "2026-03-17", "2026-03-18", "2026-03-23", "2026-03-24", "2026-03-25"]:
        r = await sweep(on)
        assert r.status_code == 200, r.text
        # Only this issue: the app also takes in demands from visits other tests published for dacheng.
        levels.append([c["level"] for c in r.json()["changed"] if c["issue_id"] == i["issue_id"]])
    # blue within 2 working days of Mon 03-16 (from Thu 03-12); yellow once overdue; red when overdue > 5 working days
    assert levels == [[], ["blue"], [], ["yellow"], [], [], ["red"], []]
    history = (await api.get(f"{T}/issues/{i['issue_id']}", headers=CLERK)).json()["history"]
    assert [h["level"] for h in history if h["action"] == "escalated"] == ["blue", "yellow", "red"]
    async def escalations_published():
        found = [e for _, e in await read_events(os.environ["KAFKA_BOOTSTRAP_SERVERS"], "issues.v1")]
        return [e["data"]["level"] for e in found if e["type"] == "IssueEscalated" and e["subject"] == i["issue_id"]]

    for _ in range(60):  # the relay publishes within a moment
        if len(published := await escalations_published()) >= 3:
            break
        await asyncio.sleep(0.25)
    assert published == ["blue", "yellow", "red"]  # each change published once, in order
    board = (await api.get(f"{T}/supervision", headers=CLERK)).json()
    assert i["issue_id"] in [b["issue_id"] for b in board["by_level"]["red"]]
    assert board["by_unit"]["(unassigned)"]["red"] >= 1


async def test_an_extension_needs_a_later_date_and_a_reason_and_a_supervisor(api):
    i = (await api.post(f"{T}/issues", json=issue(raised_on="2026-03-02"), headers=CLERK)).json()
    path = f"{T}/issues/{i['issue_id']}/extend"
    # A clerk no longer extends directly: the unit asks (延期申请) and a supervisor or admin decides.
    r = await api.post(path, json={"deadline": "2026-04-30", "reason": "招聘会改期"}, headers=CLERK)
    assert r.status_code == 403
    assert (await api.post(path, json={"deadline": "2026-03-01", "reason": "x"}, headers=SUPERVISOR)).status_code == 422
    r = await api.post(path, json={"deadline": "2026-04-30", "reason": "招聘会改期"}, headers=SUPERVISOR)
    assert r.status_code == 200 and r.json()["deadline"] == "2026-04-30"
    assert r.json()["history"][-1]["action"] == "deadline_changed"


@pytest_asyncio.fixture
async def api_on_20_october_2026(stack, monkeypatch):
    """The service with its clock standing on Tuesday 2026-10-20, whatever day the suite runs."""
    monkeypatch.setenv("SWEEP_INTERVAL_S", "3600")
    async with running(lambda: create_app(clock=FixedClock(date(2026, 10, 20))), monkeypatch) as client:
        yield client


async def test_a_deadline_in_an_unloaded_year_is_provisional_listed_and_recounted_when_the_schedule_arrives(
        api_on_20_october_2026):
    # Raised "today" by the service's clock: 60 working days (a township's land SLA) from 2026-10-20 run into 2027,
    # whose schedule is not shipped. The clock is fixed, so this holds on every day the suite runs (it used to count
    # from the real today, and failed from 2027-01-01).
    api = api_on_20_october_2026
    assert (await api.put(f"{T}/settings", json={"sla_working_days": {"land": 60}}, headers=ADMIN)).status_code == 200
    i = (await api.post(f"{T}/issues", json=issue(category="land"), headers=CLERK)).json()
    assert i["raised_on"] == "2026-10-20" and i["history"][0]["at"] == "2026-10-20T09:00:00+08:00"
    # 52 working days to the end of 2026, then 2027 on weekends alone (1 January counted)
    assert i["deadline"] == "2027-01-12" and i["deadline_provisional"] is True
    listed = (await api.get(f"{T}/issues", params={"provisional": "true"}, headers=CLERK)).json()
    assert i["issue_id"] in [x["issue_id"] for x in listed] and all(x["deadline_provisional"] for x in listed)
    assert i["issue_id"] in (await api.get(f"{T}/supervision", headers=CLERK)).json()["provisional_deadlines"]

    # The schedule arrives: 2 to 8 January are a holiday (five weekdays), Saturday 9 January is worked.
    schedule = {"year": 2027, "source": "test", "holidays": ["2027-01-02/2027-01-08"], "workdays": ["2027-01-09"]}
    assert (await api.put("/api/v1/calendar/2027", json=schedule, headers=CLERK)).status_code == 403
    loaded = await api.put("/api/v1/calendar/2027", json=schedule, headers=ADMIN)
    assert loaded.status_code == 200 and loaded.json() == {"year": 2027, "recounted": 1}
    after = (await api.get(f"{T}/issues/{i['issue_id']}", headers=CLERK)).json()
    # 1 January (53), Saturday 9 (54), 11 to 15 (59), Monday 18 (60)
    assert after["deadline"] == "2027-01-18" and after["deadline_provisional"] is False
    assert after["history"][-1] == {
        "at": "2026-10-20T09:00:00+08:00", "action": "deadline_changed", "by": "calendar", "previous": "2027-01-12",
        "deadline": "2027-01-18", "provisional": False,
        "reason": "holiday schedule 2027 loaded: deadline recounted in working days"}
    bad = await api.put("/api/v1/calendar/2027", json={**schedule, "workdays": ["2027-01-12"]}, headers=ADMIN)
    assert bad.status_code == 422 and "workdays" in bad.text
    tomorrow = await api.post(f"{T}/issues", json=issue(raised_on="2026-10-21"), headers=CLERK)
    assert tomorrow.status_code == 422 and "today is 2026-10-20" in tomorrow.text


async def test_an_idempotency_key_returns_the_first_issue_for_the_same_body_and_409_for_another(api):
    base = f"/api/v1/townships/t-{uuid.uuid4().hex[:8]}"  # a township of its own: intake adds nothing to it
    key = {**ADMIN, "Idempotency-Key": f"k-{uuid.uuid4()}"}
    first = await api.post(f"{base}/issues", json=issue(raised_on="2026-03-02"), headers=key)
    again = await api.post(f"{base}/issues", json=issue(raised_on="2026-03-02"), headers=key)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    other = await api.post(f"{base}/issues", json=issue(raised_on="2026-03-03"), headers=key)
    assert other.status_code == 409
    assert other.json() == {"detail": "this Idempotency-Key was already used for a different request"}
    listed = (await api.get(f"{base}/issues", headers=ADMIN)).json()
    assert [x["issue_id"] for x in listed] == [first.json()["issue_id"]]
    assert "request_hash" not in listed[0] and "request_hash" not in first.json()


async def test_sla_is_a_township_setting_and_bad_input_names_the_field(api):
    r = await api.put(f"{T}/settings", json={"sla_working_days": {"labour": 3}}, headers=ADMIN)
    assert r.status_code == 200 and r.json()["sla_working_days"]["labour"] == 3
    i = (await api.post(f"{T}/issues", json=issue(raised_on="2026-03-02"), headers=CLERK)).json()
    assert i["deadline"] == "2026-03-05"
    bad = await api.post(f"{T}/issues", json=issue(category="mining", enterprise_id="91330782MA2ABCD13B", raised_on="2099-01-01"),
                         headers=CLERK)
    assert bad.status_code == 422
    assert {e["loc"][-1] for e in bad.json()["detail"]} >= {"category", "enterprise_id", "raised_on"}
    assert (await api.get(f"{T}/issues", headers=bearer("xiyang_clerk"))).status_code == 403
    assert (await api.get(f"{T}/issues/nope", headers=CLERK)).status_code == 404


async def test_dates_centuries_away_are_refused_rather_than_counted(api):
    r = await api.post(f"{T}/issues", json=issue(raised_on="2026-03-02", deadline="3326-09-12"), headers=CLERK)
    assert r.status_code == 422 and "deadline" in r.text and "2099-12-31" in r.text
    sweep = await api.post(f"{T}/supervision/sweep", params={"on": "0001-01-29"}, headers=ADMIN)
    assert sweep.status_code == 422


async def test_the_county_board_gathers_every_townships_open_issues_and_needs_a_county_token(api):
    ta, tb, unit = f"t-{uuid.uuid4().hex[:8]}", f"t-{uuid.uuid4().hex[:8]}", f"县人社局-{uuid.uuid4().hex[:6]}"
    raise_in = lambda t, **extra: api.post(f"/api/v1/townships/{t}/issues", json=issue(**extra), headers=ADMIN)  # noqa: E731
    red = (await raise_in(ta, raised_on="2026-03-02", deadline="2026-03-16", responsible_unit=unit)).json()
    blue = (await raise_in(tb, raised_on="2026-03-02", deadline="2026-03-16", responsible_unit=unit)).json()
    closed = (await raise_in(tb, raised_on="2026-03-02", deadline="2026-03-16")).json()
    closing = {"closed_on": "2026-03-10", "outcome": "resolved", "resolution": "招聘会"}
    assert (await api.post(f"/api/v1/townships/{tb}/issues/{closed['issue_id']}/close", json=closing, headers=ADMIN)).status_code == 200
    assert (await api.put(f"/api/v1/townships/{tb}/settings", json={"sla_working_days": {"land": 60}}, headers=ADMIN)).status_code == 200
    provisional = (await raise_in(tb, category="land", raised_on="2026-10-20")).json()
    assert provisional["deadline_provisional"] is True
    for t, on in [(ta, "2026-03-25"), (tb, "2026-03-12")]:  # ta's issue red, tb's first one blue
        assert (await api.post(f"/api/v1/townships/{t}/supervision/sweep", params={"on": on}, headers=ADMIN)).status_code == 200

    for token in ("dacheng_clerk", "dacheng_viewer", "xiyang_clerk"):
        r = await api.get("/api/v1/supervision", headers=bearer(token))
        assert r.status_code == 403 and r.json() == {"detail": "this token may not do that here"}, (token, r.text)
    assert (await api.get("/api/v1/supervision")).status_code == 401
    r = await api.get("/api/v1/supervision", headers=bearer("county_viewer"))
    assert r.status_code == 200, r.text
    board = r.json()
    assert set(board) == {"by_township", "by_unit", "by_level", "provisional_deadlines"}
    assert board["by_township"][ta] == {"open": 1, "red": 1, "yellow": 0, "blue": 0}
    assert board["by_township"][tb] == {"open": 2, "red": 0, "yellow": 0, "blue": 1}  # the closed one is not counted
    assert list(board["by_township"]) == sorted(board["by_township"])
    assert board["by_unit"][unit] == {"open": 2, "red": 1, "yellow": 0, "blue": 1}
    briefs = {lv: {b["issue_id"]: b for b in board["by_level"][lv] if b["township"] in (ta, tb)} for lv in board["by_level"]}
    assert list(briefs) == ["red", "yellow", "blue"] and briefs["yellow"] == {}
    assert set(briefs["red"]) == {red["issue_id"]} and set(briefs["blue"]) == {blue["issue_id"]}
    assert briefs["red"][red["issue_id"]] == {
        "township": ta, "issue_id": red["issue_id"], "enterprise_id": E1, "category": "labour", "responsible_unit": unit,
        "deadline": "2026-03-16", "overdue_working_days": 7, "deadline_provisional": False}
    ours = [p for p in board["provisional_deadlines"] if p["township"] in (ta, tb)]
    assert ours == [{"township": tb, "issue_id": provisional["issue_id"]}]

    # The township's own board: the same briefs without the township, and provisional issues by id, as before.
    own = (await api.get(f"/api/v1/townships/{ta}/supervision", headers=bearer("county_viewer"))).json()
    assert set(own) == {"by_level", "by_unit", "provisional_deadlines"}
    assert own["by_level"]["red"] == [{k: v for k, v in briefs["red"][red["issue_id"]].items() if k != "township"}]
    assert own["by_unit"] == {unit: {"open": 1, "red": 1, "yellow": 0, "blue": 0}}
    assert (await api.get(f"/api/v1/townships/{tb}/supervision", headers=ADMIN)).json()["provisional_deadlines"] == \
        [provisional["issue_id"]]


async def test_units_routing_findings_and_the_ledgers_filters_on_the_real_store(api):
    """What the store must answer: a unit by _id, a township's units with the county's, the routing, the ledger by
    kind (old issues have none stored), by routing, and a unit's queue as lead or co-unit (`$or` on an array)."""
    for township, unit_id, name in [("county", "c-rsj", "县人社局"), ("county", "c-zrzyj", "县自然资源局"),
                                    ("dacheng", "dacheng-rss", "大程镇人社所")]:
        r = await api.put(f"/api/v1/townships/{township}/units/{unit_id}", headers=ADMIN,
                          json={"name": name, "kind": "county_department" if township == "county" else "township_office"})
        assert r.status_code == 200, r.text
    clash = await api.put(f"{T}/units/c-rsj", headers=ADMIN, json={"name": "x", "kind": "other"})
    assert clash.status_code == 409
    units = (await api.get(f"{T}/units", params={"routable": "true"}, headers=CLERK)).json()
    assert [u["unit_id"] for u in units] == ["c-rsj", "c-zrzyj", "dacheng-rss"]
    assert (await api.put(f"{T}/routing", headers=ADMIN, json={"labour": "dacheng-rss"})).json()["labour"] == "dacheng-rss"

    routed = (await api.post(f"{T}/issues", json=issue(), headers=CLERK)).json()
    assert routed["unit_id"] == "dacheng-rss" and routed["routing"] == "routed" and routed["kind"] == "issue"
    free = (await api.post(f"{T}/issues", json=issue(responsible_unit="外部系统的单位"), headers=CLERK)).json()
    assert free["unit_registered"] is False and free["unit_id"] is None
    finding = (await api.post(f"{T}/findings", headers=CLERK, json={
        "found_by": "inspection", "subject_kind": "unit", "subject_name": "镇便民服务中心窗口", "category": "approval",
        "description": "窗口人员不在岗", "unit_id": "c-rsj"})).json()
    assert finding["kind"] == "finding" and finding["enterprise_id"] is None
    co = await api.post(f"{T}/issues/{finding['issue_id']}/co-handling", headers=CLERK, json={"co_unit_ids": ["c-zrzyj"]})
    assert co.status_code == 200, co.text

    def ids(r):
        return {i["issue_id"] for i in r.json()}
    assert ids(await api.get(f"{T}/issues", params={"kind": "finding"}, headers=CLERK)) == {finding["issue_id"]}
    assert finding["issue_id"] not in ids(await api.get(f"{T}/issues", params={"kind": "issue"}, headers=CLERK))
    assert {routed["issue_id"], free["issue_id"]} <= ids(await api.get(f"{T}/issues", params={"kind": "issue"}, headers=CLERK))
    assert ids(await api.get("/api/v1/units/c-zrzyj/issues", headers=ADMIN)) == {finding["issue_id"]}
    assert ids(await api.get("/api/v1/units/dacheng-rss/issues", headers=ADMIN)) == {routed["issue_id"]}
    rss = bearer("dacheng_unit_rss")
    r = await api.post(f"{T}/issues/{routed['issue_id']}/return", headers=rss, json={"reason": "不属本所职责"})
    assert r.status_code == 200, r.text
    assert ids(await api.get(f"{T}/issues", params={"routing": "returned"}, headers=CLERK)) == {routed["issue_id"]}
