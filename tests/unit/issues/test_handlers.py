"""Every rule of every issues handler, on the fake repository and a fixed clock (Monday 2026-11-16)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from buildingblocks.consumer import Received
from buildingblocks.errors import Conflict, Invalid, NotFound
from contracts.enums import Level
from contracts.envelope import new_event
from contracts.events import (
    DemandReported,
    IssueAssigned,
    IssueClosed,
    IssueDeadlineChanged,
    IssueEscalated,
    IssueRaised,
    IssueReopened,
    VisitLogged,
)
from issues import domain, handlers, intake
from issues.domain.rules import DEFAULT_SLA, RulesIn
from issues.requests import AssignIn, CloseIn, ExtendIn, IssueIn, ReopenIn

T = "dacheng"
E1 = "91330782MA2ABCD13A"
D = date.fromisoformat


def body(**extra) -> IssueIn:
    return IssueIn(**{"enterprise_id": E1, "category": "labour", "description": "缺焊工20名", "source": "leader", **extra})


async def raised(ctx, key=None, **extra) -> dict:
    return (await handlers.raise_from_request(ctx, T, body(**extra), key, "张三"))[1]


CLOSING = {"closed_on": "2026-03-10", "outcome": "resolved", "resolution": "招聘会", "satisfaction": "dissatisfied"}


async def closed_issue(ctx, **closing) -> dict:
    i = await raised(ctx, raised_on="2026-03-02")
    return await handlers.close(ctx, T, i["issue_id"], CloseIn(**{**CLOSING, **closing}), "张三")


# ----------------------------------------------------------------------------------------- raise, from a request


async def test_a_raised_issue_gets_the_sla_deadline_in_working_days_across_national_day(ctx, repo):
    # labour: 10 working days from Mon 2026-09-28: 29, 30, [Oct 1-7], 8, 9, 10 (adjusted Saturday), 12 … 16
    i = await raised(ctx, raised_on="2026-09-28")
    assert i["deadline"] == "2026-10-16" and i["deadline_provisional"] is False and i["deadline_rule"] == "sla"
    assert i["status"] == "open" and i["level"] == "none" and i["deadline_anchor"] == "2026-09-28"
    [entry] = i["history"]
    assert entry == {"at": "2026-11-16T09:00:00+08:00", "action": "raised", "by": "张三", "deadline": "2026-10-16",
                     "provisional": False}
    [event] = repo.events()
    assert isinstance(event, IssueRaised) and event.deadline == D("2026-10-16") and event.deadline_provisional is None
    assert event.issue_id == i["issue_id"] and event.source.value == "leader"


async def test_raised_today_by_the_clock_when_the_body_says_no_day(ctx):
    i = await raised(ctx)
    assert i["raised_on"] == "2026-11-16" and i["deadline"] == "2026-11-30"


async def test_a_given_deadline_is_kept_and_must_not_be_before_the_day_raised(ctx, repo):
    i = await raised(ctx, raised_on="2026-03-02", deadline="2026-03-05")
    assert i["deadline"] == "2026-03-05" and i["deadline_rule"] == "explicit" and i["deadline_provisional"] is False
    with pytest.raises(Invalid) as refused:
        await raised(ctx, raised_on="2026-03-02", deadline="2026-03-01")
    assert refused.value.field == "deadline" and "2026-03-02" in refused.value.message
    assert len(repo.docs) == 1


async def test_the_townships_sla_counts_the_deadline(ctx, repo):
    await handlers.change_rules(ctx, T, RulesIn(sla_working_days={"labour": 3}))
    assert (await raised(ctx, raised_on="2026-03-02"))["deadline"] == "2026-03-05"
    other = await handlers.raise_from_request(ctx, "xiyang", body(raised_on="2026-03-02"), None, "李四")
    assert other[1]["deadline"] == "2026-03-16"  # another township keeps the default 10


async def test_a_deadline_counted_into_a_year_without_its_schedule_is_provisional(ctx, repo):
    await handlers.change_rules(ctx, T, RulesIn(sla_working_days={"land": 60}))
    i = await raised(ctx, category="land", raised_on="2026-10-20")
    # 2026's holidays, then 2027 on weekends alone (its New Year's Day counts as a working day): 2027-01-12
    assert i["deadline"] == "2027-01-12" and i["deadline_provisional"] is True
    assert repo.events()[-1].deadline_provisional is True


async def test_an_idempotency_key_retried_with_the_same_body_gives_the_first_issue_and_no_second_event(ctx, repo):
    created, first = await handlers.raise_from_request(ctx, T, body(raised_on="2026-03-02"), "k-1", "张三")
    again_created, again = await handlers.raise_from_request(ctx, T, body(raised_on="2026-03-02"), "k-1", "张三")
    assert created and not again_created and again == first
    assert len(repo.docs) == 1 and len(repo.events(IssueRaised)) == 1
    assert "request_hash" not in first  # kept to compare retries, never shown


async def test_an_idempotency_key_reused_for_a_different_body_is_a_conflict(ctx, repo):
    await handlers.raise_from_request(ctx, T, body(raised_on="2026-03-02"), "k-2", "张三")
    with pytest.raises(Conflict) as refused:
        await handlers.raise_from_request(ctx, T, body(raised_on="2026-03-02", description="缺电工"), "k-2", "张三")
    assert str(refused.value) == "this Idempotency-Key was already used for a different request"
    assert len(repo.docs) == 1 and len(repo.events()) == 1


async def test_the_same_key_in_another_township_is_another_issue_and_no_key_always_a_new_one(ctx, repo):
    a = (await handlers.raise_from_request(ctx, T, body(raised_on="2026-03-02"), "k-3", "张三"))[1]
    b = (await handlers.raise_from_request(ctx, "xiyang", body(raised_on="2026-03-02"), "k-3", "李四"))[1]
    c, d = await raised(ctx, raised_on="2026-03-02"), await raised(ctx, raised_on="2026-03-02")
    assert len({a["issue_id"], b["issue_id"], c["issue_id"], d["issue_id"]}) == 4


async def test_an_issue_stored_before_request_hashes_answers_a_retry_with_itself(ctx, repo):
    _, first = await handlers.raise_from_request(ctx, T, body(raised_on="2026-03-02"), "k-4", "张三")
    del repo.docs[(T, first["issue_id"])]["request_hash"]
    _, again = await handlers.raise_from_request(ctx, T, body(raised_on="2026-03-03"), "k-4", "张三")
    assert again == first


# -------------------------------------------------------------------------------------------- raise, from intake


def visit(demands: list[dict], township: str = T, visited_on: str = "2026-03-02", visit_id: str = "v-1"):
    data = VisitLogged.model_validate({
        "visit_id": visit_id, "enterprise_id": E1, "visited_on": visited_on, "channel": "in_person", "kind": "routine",
        "visitors": [{"official_id": "c-1", "name": "王县长", "rank": "county"}], "services": ["policy"],
        "summary": "", "demands": demands})
    return Received(new_event(data, township=township, source=f"/townships/{township}/visits"), None)


def report(external_id: str, sender: str = "/county/12345-hotline", reported_on: str = "2026-03-03"):
    data = DemandReported(external_id=external_id, enterprise_id=E1, category="infrastructure",
                          description="厂区门前道路破损", reported_on=reported_on, source="hotline")
    return Received(new_event(data, township=T, source=sender), None)


DEMANDS = [{"demand_id": "v-1-d1", "category": "labour", "description": "缺焊工", "resolved_on_spot": False},
           {"demand_id": "v-1-d2", "category": "policy", "description": "补贴咨询", "resolved_on_spot": True},
           {"demand_id": "v-1-d3", "category": "land", "description": "扩建用地", "resolved_on_spot": False}]


async def test_each_demand_of_a_visit_not_resolved_on_the_spot_becomes_one_issue(ctx, repo):
    received = visit(DEMANDS)
    await intake.take_in(ctx, [received])
    issues = {d["issue_id"]: d for d in repo.docs.values()}
    assert set(issues) == {domain.issue_id_for_demand(T, "v-1-d1"), domain.issue_id_for_demand(T, "v-1-d3")}
    labour = issues[domain.issue_id_for_demand(T, "v-1-d1")]
    assert labour["source"] == "visit" and labour["visit_id"] == "v-1" and labour["raised_on"] == "2026-03-02"
    assert labour["origin"] == {"visit_id": "v-1", "demand_id": "v-1-d1", "event_id": received.event.id}
    assert labour["deadline"] == "2026-03-16" and labour["history"][0]["by"] == "intake:visit"
    assert len(repo.events(IssueRaised)) == 2


async def test_a_redelivered_visit_raises_nothing_more(ctx, repo):
    received = visit(DEMANDS)
    await intake.take_in(ctx, [received, received])
    await intake.take_in(ctx, [received])
    assert len(repo.docs) == 2 and len(repo.events(IssueRaised)) == 2


async def test_a_demand_reported_again_by_its_sender_is_the_same_issue_and_another_senders_is_another(ctx, repo):
    await intake.take_in(ctx, [report("12345-1"), report("12345-1")])  # sent again as a new event
    [issue] = repo.docs.values()
    assert issue["issue_id"] == domain.issue_id_for_report("/county/12345-hotline", "12345-1")
    assert issue["source"] == "hotline" and issue["origin"]["sender"] == "/county/12345-hotline"
    assert issue["history"][0]["by"] == "intake:/county/12345-hotline"
    await intake.take_in(ctx, [report("12345-1", sender="/county/platform")])
    assert len(repo.docs) == 2 and len(repo.events(IssueRaised)) == 2


async def test_a_demand_dated_outside_2000_to_2099_is_refused_naming_the_day(ctx, repo):
    with pytest.raises(Invalid) as refused:
        await intake.take_in(ctx, [report("12345-2", reported_on="2100-01-04")])
    assert refused.value.field == "raised_on" and "2100-01-04" in refused.value.message
    assert repo.docs == {}


# ---------------------------------------------------------------------------------------------------- assign


async def test_assign_routes_and_reroutes_the_issue_which_stays_open(ctx, repo):
    i = await raised(ctx, raised_on="2026-03-02")
    first = await handlers.assign(ctx, T, i["issue_id"], AssignIn(responsible_unit="县人社局", assigned_on="2026-03-03"), "张三")
    assert first["responsible_unit"] == "县人社局" and first["status"] == "open"
    again = await handlers.assign(ctx, T, i["issue_id"], AssignIn(responsible_unit="县经信局", reason="需县级统筹"), "张三")
    assert again["history"][-1] == {"at": "2026-11-16T09:00:00+08:00", "action": "assigned", "by": "张三",
                                    "responsible_unit": "县经信局", "previous_unit": "县人社局", "reason": "需县级统筹",
                                    "assigned_on": "2026-11-16"}  # today by the clock
    events = repo.events(IssueAssigned)
    assert [(e.previous_unit, e.responsible_unit, e.assigned_on) for e in events] == [
        (None, "县人社局", D("2026-03-03")), ("县人社局", "县经信局", D("2026-11-16"))]


async def test_assign_is_refused_before_the_day_raised_on_a_closed_issue_and_for_an_unknown_one(ctx, repo):
    i = await raised(ctx, raised_on="2026-03-02")
    with pytest.raises(Invalid) as early:
        await handlers.assign(ctx, T, i["issue_id"], AssignIn(responsible_unit="县人社局", assigned_on="2026-03-01"), "张三")
    assert early.value.field == "assigned_on"
    closed = await closed_issue(ctx)
    with pytest.raises(Conflict, match="is closed"):
        await handlers.assign(ctx, T, closed["issue_id"], AssignIn(responsible_unit="县人社局"), "张三")
    with pytest.raises(NotFound):
        await handlers.assign(ctx, T, "i-nope", AssignIn(responsible_unit="县人社局"), "张三")
    assert repo.events(IssueAssigned) == []


# ----------------------------------------------------------------------------------------------------- close


async def test_close_records_the_outcome_and_publishes_the_contract_fields(ctx, repo):
    closed = await closed_issue(ctx)
    assert closed["status"] == "closed" and closed["closed_on"] == "2026-03-10" and closed["level"] == "none"
    assert (closed["outcome"], closed["resolution"], closed["satisfaction"]) == ("resolved", "招聘会", "dissatisfied")
    assert closed["history"][-1] == {"at": "2026-11-16T09:00:00+08:00", "action": "closed", "by": "张三",
                                     "closed_on": "2026-03-10", "outcome": "resolved", "resolution": "招聘会",
                                     "satisfaction": "dissatisfied", "level": "none", "working_days": 6}
    [event] = repo.events(IssueClosed)
    assert (event.raised_on, event.deadline, event.closed_on) == (D("2026-03-02"), D("2026-03-16"), D("2026-03-10"))
    assert event.working_days_to_close == 6 and event.unit_id is None


async def test_closing_a_closed_issue_is_a_conflict_and_a_close_before_the_raise_is_invalid(ctx, repo):
    closed = await closed_issue(ctx)
    with pytest.raises(Conflict) as twice:
        await handlers.close(ctx, T, closed["issue_id"], CloseIn(**CLOSING), "张三")
    assert str(twice.value) == f"issue {closed['issue_id']} is already closed (on 2026-03-10)"
    i = await raised(ctx, raised_on="2026-03-02")
    with pytest.raises(Invalid) as early:
        await handlers.close(ctx, T, i["issue_id"], CloseIn(**{**CLOSING, "closed_on": "2026-03-01"}), "张三")
    assert early.value.field == "closed_on"
    assert len(repo.events(IssueClosed)) == 1


# ---------------------------------------------------------------------------------------------------- reopen


async def test_reopen_needs_a_closed_issue_and_a_day_on_or_after_the_close(ctx, repo):
    i = await raised(ctx, raised_on="2026-03-02")
    with pytest.raises(Conflict, match="only a closed issue can be reopened"):
        await handlers.reopen(ctx, T, i["issue_id"], ReopenIn(reopened_on="2026-03-12", reason="回访不满意"), "张三")
    closed = await closed_issue(ctx)
    with pytest.raises(Invalid) as early:
        await handlers.reopen(ctx, T, closed["issue_id"], ReopenIn(reopened_on="2026-03-09", reason="回访不满意"), "张三")
    assert early.value.field == "reopened_on"
    assert repo.events(IssueReopened) == []


async def test_reopen_opens_the_issue_again_with_a_new_sla_deadline_and_keeps_the_history(ctx, repo):
    closed = await closed_issue(ctx)
    reopened = await handlers.reopen(ctx, T, closed["issue_id"], ReopenIn(reopened_on="2026-03-12", reason="回访不满意"), "张三")
    assert reopened["status"] == "open" and reopened["deadline"] == "2026-03-26"  # 10 working days after Thu 03-12
    assert reopened["deadline_anchor"] == "2026-03-12" and reopened["deadline_rule"] == "sla"
    assert [reopened[k] for k in ("closed_on", "outcome", "resolution", "satisfaction")] == [None] * 4
    assert [h["action"] for h in reopened["history"]] == ["raised", "closed", "reopened"]
    assert reopened["history"][-1]["reason"] == "回访不满意" and reopened["history"][-1]["deadline"] == "2026-03-26"
    [event] = repo.events(IssueReopened)
    assert event.deadline == D("2026-03-26") and event.reopened_on == D("2026-03-12")
    again = await handlers.close(ctx, T, closed["issue_id"], CloseIn(**{**CLOSING, "closed_on": "2026-03-13",
                                                                       "satisfaction": "satisfied"}), "张三")
    assert [h["action"] for h in again["history"]] == ["raised", "closed", "reopened", "closed"]


async def test_reopen_with_a_given_deadline_keeps_it_unless_it_is_before_the_reopening(ctx, repo):
    closed = await closed_issue(ctx)
    with pytest.raises(Invalid) as early:
        await handlers.reopen(ctx, T, closed["issue_id"], ReopenIn(reopened_on="2026-03-12", reason="x", deadline="2026-03-11"), "张三")
    assert early.value.field == "deadline"
    r = await handlers.reopen(ctx, T, closed["issue_id"], ReopenIn(reopened_on="2026-03-12", reason="x", deadline="2026-04-30"), "张三")
    assert r["deadline"] == "2026-04-30" and r["deadline_rule"] == "explicit" and r["deadline_provisional"] is False


# ---------------------------------------------------------------------------------------------------- extend


async def test_an_extension_needs_an_open_issue_and_a_later_deadline(ctx, repo):
    i = await raised(ctx, raised_on="2026-03-02")
    for too_early in ("2026-03-01", "2026-03-16"):  # the current deadline is 2026-03-16
        with pytest.raises(Invalid) as refused:
            await handlers.extend(ctx, T, i["issue_id"], ExtendIn(deadline=too_early, reason="x"), "张三")
        assert refused.value.field == "deadline" and "2026-03-16" in refused.value.message
    extended = await handlers.extend(ctx, T, i["issue_id"], ExtendIn(deadline="2026-04-30", reason="招聘会改期"), "张三")
    assert extended["deadline"] == "2026-04-30" and extended["deadline_rule"] == "explicit"
    assert extended["history"][-1] == {"at": "2026-11-16T09:00:00+08:00", "action": "deadline_changed", "by": "张三",
                                       "previous": "2026-03-16", "deadline": "2026-04-30", "provisional": False,
                                       "reason": "招聘会改期"}
    [event] = repo.events(IssueDeadlineChanged)
    assert (event.previous_deadline, event.deadline, event.changed_on) == (D("2026-03-16"), D("2026-04-30"), D("2026-11-16"))
    closed = await closed_issue(ctx)
    with pytest.raises(Conflict):
        await handlers.extend(ctx, T, closed["issue_id"], ExtendIn(deadline="2026-04-30", reason="x"), "张三")


# ----------------------------------------------------------------------------------------------------- sweep


async def levels_by_day(ctx, issue_id: str, days: list[str]) -> list[list[str]]:
    out = []
    for on in days:
        changed = await handlers.sweep(ctx, T, D(on))
        out.append([c["level"] for c in changed if c["issue_id"] == issue_id])
    return out


async def test_the_sweep_moves_an_issue_blue_yellow_red_once_each(ctx, repo):
    i = await raised(ctx, raised_on="2026-03-02", deadline="2026-03-16")
    days = ["2026-03-02", "2026-03-12", "2026-03-13", "2026-03-17", "2026-03-18", "2026-03-23", "2026-03-24", "2026-03-25"]
    # blue within 2 working days of Mon 03-16 (from Thu 03-12); yellow once overdue; red when overdue > 5 working days
    assert await levels_by_day(ctx, i["issue_id"], days) == [[], ["blue"], [], ["yellow"], [], [], ["red"], []]
    events = repo.events(IssueEscalated)
    assert [(e.previous_level, e.level, e.on, e.overdue_working_days) for e in events] == [
        (Level.none, Level.blue, D("2026-03-12"), 0), (Level.blue, Level.yellow, D("2026-03-17"), 1),
        (Level.yellow, Level.red, D("2026-03-24"), 6)]
    stored = repo.docs[(T, i["issue_id"])]
    assert stored["level"] == "red" and stored["overdue_working_days"] == 6
    assert stored["history"][-1] == {"at": "2026-11-16T09:00:00+08:00", "action": "escalated", "by": "supervision",
                                     "level": "red", "previous_level": "yellow", "on": "2026-03-24",
                                     "overdue_working_days": 6}


async def test_the_sweep_uses_the_townships_thresholds(ctx, repo):
    await handlers.change_rules(ctx, T, RulesIn(blue_within_working_days=0, red_after_working_days=1))
    i = await raised(ctx, raised_on="2026-03-02", deadline="2026-03-16")
    days = ["2026-03-13", "2026-03-16", "2026-03-17", "2026-03-18"]
    assert await levels_by_day(ctx, i["issue_id"], days) == [[], ["blue"], ["yellow"], ["red"]]


async def test_the_sweep_leaves_closed_issues_and_other_townships_alone_and_is_today_by_default(ctx, repo):
    closed = await closed_issue(ctx)
    elsewhere = (await handlers.raise_from_request(ctx, "xiyang", body(raised_on="2026-03-02", deadline="2026-03-03"), None, "x"))[1]
    due = await raised(ctx, raised_on="2026-11-02", deadline="2026-11-17")
    changed = await handlers.sweep(ctx, T)  # the clock's day, Mon 11-16: due tomorrow
    assert [(c["issue_id"], c["level"]) for c in changed] == [(due["issue_id"], "blue")]
    assert repo.docs[(T, closed["issue_id"])]["level"] == "none" and "overdue_working_days" not in repo.docs[(T, closed["issue_id"])]
    assert repo.docs[("xiyang", elsewhere["issue_id"])]["level"] == "none"


async def test_an_issue_closed_after_the_sweep_listed_it_is_not_escalated(ctx, repo):
    i = await raised(ctx, raised_on="2026-03-02", deadline="2026-03-03")
    key = (T, i["issue_id"])

    def closed_meanwhile(k):
        if k == key and repo.docs[k]["status"] == "open":
            repo.docs[k] = {**repo.docs[k], "status": "closed", "closed_on": "2026-03-04", "version": repo.docs[k]["version"] + 1}

    repo.meanwhile = closed_meanwhile
    assert await handlers.sweep(ctx, T, D("2026-03-16")) == []
    assert repo.events(IssueEscalated) == []


# ---------------------------------------------------------------------------------------- a change meanwhile


async def test_a_change_meanwhile_is_read_again_and_decided_again(ctx, repo):
    i = await raised(ctx, raised_on="2026-03-02")
    key, raced = (T, i["issue_id"]), []

    def assigned_meanwhile(k):
        if not raced:
            raced.append(k)
            repo.docs[k] = {**repo.docs[k], "responsible_unit": "县人社局", "version": repo.docs[k]["version"] + 1}

    repo.meanwhile = assigned_meanwhile
    done = await handlers.assign(ctx, T, i["issue_id"], AssignIn(responsible_unit="县经信局"), "张三")
    assert done["responsible_unit"] == "县经信局" and raced == [key]
    [event] = repo.events(IssueAssigned)
    assert event.previous_unit == "县人社局"  # decided on what was there when it was stored


async def test_a_change_that_keeps_losing_the_race_gives_up_with_a_conflict(ctx, repo):
    i = await raised(ctx, raised_on="2026-03-02")

    def always(k):
        repo.docs[k] = {**repo.docs[k], "version": repo.docs[k]["version"] + 1}

    repo.meanwhile = always
    with pytest.raises(Conflict, match="being changed by someone else"):
        await handlers.assign(ctx, T, i["issue_id"], AssignIn(responsible_unit="县经信局"), "张三")
    assert repo.events(IssueAssigned) == []


# ------------------------------------------------------------------------------ calendar: provisional deadlines


SCHEDULE_2027 = {"year": 2027, "source": "test", "holidays": ["2027-01-01", "2027-01-11/2027-01-15"], "workdays": []}


async def test_loading_a_schedule_recounts_the_provisional_sla_deadlines_of_every_township(ctx, repo):
    for township, land in ((T, 60), ("xiyang", 55)):
        await handlers.change_rules(ctx, township, RulesIn(sla_working_days={"land": land}))
    provisional = await raised(ctx, category="land", raised_on="2026-10-20")
    theirs = (await handlers.raise_from_request(ctx, "xiyang", body(category="land", raised_on="2026-10-20"), None, "x"))[1]
    given = await raised(ctx, raised_on="2026-10-20", deadline="2027-01-19")
    counted_in_2026 = await raised(ctx, raised_on="2026-10-20")
    closed = await raised(ctx, category="land", raised_on="2026-10-21")
    await handlers.close(ctx, T, closed["issue_id"], CloseIn(**{**CLOSING, "closed_on": "2026-11-02"}), "张三")
    assert provisional["deadline"] == "2027-01-12" and theirs["deadline"] == "2027-01-05"

    loaded = await handlers.load_schedule(ctx, 2027, SCHEDULE_2027)
    assert loaded == {"year": 2027, "recounted": 2}
    ours = repo.docs[(T, provisional["issue_id"])]
    # 2027-01-01 and 11-15 January are days off now: 4 to 8 January, then 18, 19, 20
    assert ours["deadline"] == "2027-01-20" and ours["deadline_provisional"] is False and ours["deadline_rule"] == "sla"
    assert ours["history"][-1] == {"at": "2026-11-16T09:00:00+08:00", "action": "deadline_changed", "by": "calendar",
                                   "previous": "2027-01-12", "deadline": "2027-01-20", "provisional": False,
                                   "reason": "holiday schedule 2027 loaded: deadline recounted in working days"}
    assert repo.docs[("xiyang", theirs["issue_id"])]["deadline"] == "2027-01-06"  # by xiyang's 55 days
    for untouched in (given, counted_in_2026, closed):
        assert repo.docs[(T, untouched["issue_id"])]["history"][-1]["action"] in ("raised", "closed")
    changes = repo.events(IssueDeadlineChanged)
    assert {(e.issue_id, e.previous_deadline, e.deadline, e.changed_on) for e in changes} == {
        (provisional["issue_id"], D("2027-01-12"), D("2027-01-20"), D("2026-11-16")),
        (theirs["issue_id"], D("2027-01-05"), D("2027-01-06"), D("2026-11-16"))}
    assert (await handlers.load_schedule(ctx, 2027, SCHEDULE_2027))["recounted"] == 0  # nothing provisional left


def weekdays_after(start: date, n: int) -> date:
    day = start
    while n:
        day += timedelta(days=1)
        n -= day.weekday() < 5
    return day


async def test_a_deadline_still_counted_over_an_unloaded_year_stays_provisional_but_follows_the_new_schedule(ctx, repo):
    await handlers.change_rules(ctx, T, RulesIn(sla_working_days={"land": 250}))
    _, i = await handlers.raise_issue(ctx, T, issue_id="i-long", enterprise_id=E1, category="land", description="扩建用地",
                                      source="visit", raised_on=D("2027-03-01"), by="intake:visit")
    assert i["deadline"].startswith("2028-") and i["deadline_provisional"] is True
    await handlers.load_schedule(ctx, 2027, {**SCHEDULE_2027, "holidays": ["2027-10-01/2027-10-07"]})
    after = repo.docs[(T, "i-long")]
    # five weekdays off in October 2027; 2028 still on weekends alone
    assert after["deadline"] == weekdays_after(D(i["deadline"]), 5).isoformat() and after["deadline_provisional"] is True
    [event] = repo.events(IssueDeadlineChanged)
    assert event.deadline_provisional is True


async def test_a_schedule_is_refused_naming_the_field_or_the_year(ctx, repo):
    with pytest.raises(Invalid) as bad:
        await handlers.load_schedule(ctx, 2027, {**SCHEDULE_2027, "workdays": ["2027-01-12"]})
    assert bad.value.field == "schedule" and "workdays" in bad.value.message
    with pytest.raises(Invalid) as wrong_year:
        await handlers.load_schedule(ctx, 2028, SCHEDULE_2027)
    assert wrong_year.value.field == "year" and wrong_year.value.message == "the body is the schedule of 2027, not 2028"
    assert repo.saved_schedules == {}


async def test_a_schedule_saved_through_another_replica_is_counted_at_the_next_raise(ctx, repo):
    await handlers.change_rules(ctx, T, RulesIn(sla_working_days={"land": 60}))
    assert (await raised(ctx, category="land", raised_on="2026-10-20"))["deadline_provisional"] is True
    await repo.save_schedule(2027, SCHEDULE_2027)  # not through this context
    after = await raised(ctx, category="land", raised_on="2026-10-20")
    assert after["deadline"] == "2027-01-20" and after["deadline_provisional"] is False


# ---------------------------------------------------------------------------------------------------- settings


async def test_settings_change_what_is_given_and_keep_the_rest(ctx, repo):
    rules = await handlers.change_rules(ctx, T, RulesIn(sla_working_days={"labour": 3}))
    assert rules.sla_working_days["labour"] == 3 and rules.sla_working_days["land"] == DEFAULT_SLA["land"]
    rules = await handlers.change_rules(ctx, T, RulesIn(red_after_working_days=8))
    assert (rules.sla_working_days["labour"], rules.blue_within_working_days, rules.red_after_working_days) == (3, 2, 8)
    assert await repo.rules(T) == rules and await repo.rules("xiyang") == type(rules)()


@pytest.mark.parametrize("days", [0, 251])
async def test_an_sla_outside_1_to_250_working_days_is_refused_naming_the_category(ctx, repo, days):
    with pytest.raises(Invalid) as refused:
        await handlers.change_rules(ctx, T, RulesIn(sla_working_days={"financing": days}))
    assert refused.value.field == "sla_working_days.financing"
    assert refused.value.message == "must be between 1 and 250 working days"
    assert repo.township_rules == {}


@pytest.mark.parametrize("given", [{"blue_within_working_days": -1}, {"blue_within_working_days": 61},
                                   {"red_after_working_days": 251}, {"sla_working_days": {"mining": 3}}, {"other": 1}])
def test_thresholds_out_of_range_and_unknown_fields_are_refused_by_the_body(given):
    with pytest.raises(ValueError):
        RulesIn(**given)
