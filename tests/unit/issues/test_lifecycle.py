"""The units' lifecycle in the Issue aggregate on its own: 签收, 退回, 协办, 阶段答复, 延期申请/审批, 办结, 回访, and
findings. Each step checks its rules, returns its Change, and a refused step leaves the issue as it was."""
from __future__ import annotations

import copy
from datetime import date

import pytest

from buildingblocks.clock import FixedClock
from contracts.enums import Outcome, Satisfaction
from contracts.events import (
    FindingClosed,
    FindingRaised,
    IssueAcknowledged,
    IssueAssigned,
    IssueClosed,
    IssueCoHandlingSet,
    IssueDeadlineChanged,
    IssueExtensionDecided,
    IssueExtensionRequested,
    IssueFollowedUp,
    IssueProgressNoted,
    IssueRaised,
    IssueReopened,
    IssueReturned,
)
from issues.calendar import WorkCalendar, builtin_schedules
from issues.domain import InvalidValue, Issue, Unit, Unknown, WrongStatus
from issues.domain.rules import Rules

AT = FixedClock(date(2026, 3, 20)).now()
CAL, RULES = WorkCalendar(builtin_schedules()), Rules()
RSS, RSJ, ZRZYJ = Unit("dacheng-rss", "大程镇人社所"), Unit("c-rsj", "县人社局"), Unit("c-zrzyj", "县自然资源局")
D = date.fromisoformat


def routed(unit: Unit = RSS, **extra) -> Issue:
    """Raised Monday 2026-03-02, routed to `unit`; labour's SLA: deadline 2026-03-16."""
    return Issue.raise_("dacheng", "i-1", enterprise_id="91330782MA2ABCD13A", category="labour", description="缺焊工",
                        source="visit", raised_on=D("2026-03-02"), by="intake", at=AT, calendar=CAL, rules=RULES,
                        unit=unit, **extra)


def closing(issue: Issue, on: str = "2026-03-10", by: str = "大程镇人社所"):
    return issue.close(on=D(on), outcome=Outcome.resolved, resolution="招聘会", satisfaction=None, by=by, at=AT,
                       calendar=CAL)


def test_a_routed_issue_names_its_unit_on_the_raise_and_waits_for_acknowledgement():
    issue = routed(external_id="12345-1", source_system="/hotline")
    [event] = issue.events
    assert isinstance(event, IssueRaised) and (event.unit_id, event.responsible_unit) == ("dacheng-rss", "大程镇人社所")
    assert (event.external_id, event.source_system) == ("12345-1", "/hotline")
    assert issue.routing == "routed" and issue.assigned_on == D("2026-03-02") and issue.acknowledged_on is None


def test_a_free_text_unit_is_kept_and_an_issue_without_a_unit_is_unrouted():
    free = Issue.raise_("dacheng", "i-2", enterprise_id="91330782MA2ABCD13A", category="labour", description="x",
                        source="hotline", raised_on=D("2026-03-02"), by="x", at=AT, calendar=CAL, rules=RULES,
                        responsible_unit="某外部单位")
    assert (free.responsible_unit, free.unit_id, free.routing) == ("某外部单位", None, "routed")
    nobody = Issue.raise_("dacheng", "i-3", enterprise_id="91330782MA2ABCD13A", category="labour", description="x",
                          source="hotline", raised_on=D("2026-03-02"), by="x", at=AT, calendar=CAL, rules=RULES)
    assert (nobody.routing, nobody.assigned_on) == ("unrouted", None)


def test_acknowledging_counts_working_days_from_the_routing_against_acknowledge_within():
    on_time = routed()
    change = on_time.acknowledge("dacheng-rss", on=D("2026-03-03"), by="x", at=AT, calendar=CAL, rules=RULES)
    assert isinstance(change.event, IssueAcknowledged) and change.event.working_days_to_acknowledge == 1
    assert change.event.on_time is True and change.event.assigned_on == D("2026-03-02")
    assert on_time.routing == "acknowledged" and on_time.acknowledged_on == D("2026-03-03")
    late = routed()  # Mon → the next Monday: 5 working days, over the default 1
    event = late.acknowledge("dacheng-rss", on=D("2026-03-09"), by="x", at=AT, calendar=CAL, rules=RULES).event
    assert (event.working_days_to_acknowledge, event.on_time) == (5, False)
    lenient = routed().acknowledge("dacheng-rss", on=D("2026-03-09"), by="x", at=AT, calendar=CAL,
                                   rules=Rules(acknowledge_within=5)).event
    assert lenient.on_time is True


def test_returning_waits_for_the_dispatcher_who_routes_it_again_to_be_acknowledged_afresh():
    issue = routed()
    issue.acknowledge("dacheng-rss", on=D("2026-03-03"), by="x", at=AT, calendar=CAL, rules=RULES)
    returned = issue.return_("dacheng-rss", on=D("2026-03-04"), reason="属县人社局职责", suggested_unit_id="c-rsj",
                             by="x", at=AT)
    assert isinstance(returned.event, IssueReturned) and returned.event.suggested_unit_id == "c-rsj"
    assert issue.routing == "returned" and issue.acknowledged_on is None
    assigned = issue.assign(unit=RSJ, on=D("2026-03-05"), reason="退回改派", by="clerk", at=AT)
    assert isinstance(assigned.event, IssueAssigned)
    assert (assigned.event.unit_id, assigned.event.previous_unit_id, assigned.event.responsible_unit) == \
           ("c-rsj", "dacheng-rss", "县人社局")
    assert (issue.routing, issue.assigned_on, issue.unit_id) == ("routed", D("2026-03-05"), "c-rsj")
    event = issue.acknowledge("c-rsj", on=D("2026-03-05"), by="x", at=AT, calendar=CAL, rules=RULES).event
    assert event.assigned_on == D("2026-03-05") and event.working_days_to_acknowledge == 0


def test_co_units_each_report_their_part_and_the_issue_closes_only_when_all_have():
    issue = routed(RSJ)
    change = issue.set_co_handling([RSS, ZRZYJ], on=D("2026-03-03"), by="clerk", at=AT)
    assert isinstance(change.event, IssueCoHandlingSet)
    assert (change.event.lead_unit_id, change.event.co_unit_ids) == ("c-rsj", ["dacheng-rss", "c-zrzyj"])
    issue.note_progress("已对接", unit_id="c-rsj", part_done=False, on=D("2026-03-04"), by="rsj", at=AT)
    issue.note_progress("用地已核", unit_id="c-zrzyj", part_done=True, on=D("2026-03-05"), by="zrzyj", at=AT)
    with pytest.raises(WrongStatus, match="dacheng-rss"):
        closing(issue)
    noted = issue.note_progress("岗位已发布", unit_id="dacheng-rss", part_done=True, on=D("2026-03-06"), by="rss", at=AT)
    assert isinstance(noted.event, IssueProgressNoted) and noted.event.part_done is True
    assert [c["part_done"] for c in issue.co_units] == [True, True] and len(issue.progress) == 3
    closed = closing(issue)
    assert isinstance(closed.event, IssueClosed) and closed.event.unit_id == "c-rsj"
    assert closed.event.working_days_to_close == 6  # 3-02 → 3-10


def test_a_part_is_a_co_units_and_a_note_comes_from_a_unit_on_the_issue_or_the_township():
    issue = routed(RSJ)
    issue.set_co_handling([RSS], on=D("2026-03-03"), by="clerk", at=AT)
    for refused in (lambda: issue.note_progress("x", unit_id="c-rsj", part_done=True, on=D("2026-03-04"), by="x", at=AT),
                    lambda: issue.note_progress("x", unit_id="c-zrzyj", part_done=False, on=D("2026-03-04"), by="x", at=AT),
                    lambda: issue.set_co_handling([RSJ], on=D("2026-03-04"), by="x", at=AT),
                    lambda: issue.set_co_handling([RSS, RSS], on=D("2026-03-04"), by="x", at=AT)):
        with pytest.raises(InvalidValue):
            refused()
    issue.note_progress("镇里已协调", unit_id=None, part_done=False, on=D("2026-03-04"), by="clerk", at=AT)
    issue.set_co_handling([RSS, ZRZYJ], on=D("2026-03-05"), by="clerk", at=AT)
    issue.note_progress("done", unit_id="dacheng-rss", part_done=True, on=D("2026-03-05"), by="x", at=AT)
    issue.set_co_handling([ZRZYJ, RSS], on=D("2026-03-06"), by="clerk", at=AT)  # a reported part stays reported
    assert {c["unit_id"]: c["part_done"] for c in issue.co_units} == {"c-zrzyj": False, "dacheng-rss": True}


def test_an_extension_is_asked_then_approved_which_moves_the_deadline_or_refused_which_keeps_it():
    issue = routed()
    asked = issue.request_extension("x-1", D("2026-03-31"), reason="待县局批复", unit_id="dacheng-rss",
                                    on=D("2026-03-09"), by="rss", at=AT)
    assert isinstance(asked.event, IssueExtensionRequested) and asked.event.deadline == D("2026-03-16")
    with pytest.raises(WrongStatus):  # one waiting at a time
        issue.request_extension("x-2", D("2026-04-30"), reason="x", unit_id=None, on=D("2026-03-09"), by="x", at=AT)
    before = len(issue.changes)
    decided = issue.decide_extension("x-1", approved=True, reason="同意", on=D("2026-03-10"), by="督查室", at=AT)
    assert isinstance(decided.event, IssueExtensionDecided) and decided.event.deadline == D("2026-03-31")
    assert [type(c.event) for c in issue.changes[before:]] == [IssueExtensionDecided, IssueDeadlineChanged]
    assert issue.deadline == D("2026-03-31") and issue.deadline_rule == "explicit"
    assert issue.extension_requests[0]["status"] == "approved" and issue.extension_requests[0]["decided_on"] == "2026-03-10"
    with pytest.raises(WrongStatus):
        issue.decide_extension("x-1", approved=False, reason="", on=D("2026-03-10"), by="x", at=AT)
    with pytest.raises(Unknown):
        issue.decide_extension("x-9", approved=True, reason="", on=D("2026-03-10"), by="x", at=AT)
    issue.request_extension("x-2", D("2026-04-30"), reason="再延", unit_id=None, on=D("2026-03-11"), by="x", at=AT)
    refused = issue.decide_extension("x-2", approved=False, reason="理由不足", on=D("2026-03-12"), by="x", at=AT)
    assert refused.event.approved is False and refused.event.deadline == D("2026-03-31") and issue.deadline == D("2026-03-31")
    with pytest.raises(InvalidValue):
        issue.request_extension("x-3", D("2026-03-31"), reason="x", unit_id=None, on=D("2026-03-12"), by="x", at=AT)


def test_a_dissatisfied_follow_up_reopens_for_the_same_unit_and_a_satisfied_one_stays_closed():
    issue = routed()
    issue.acknowledge("dacheng-rss", on=D("2026-03-03"), by="x", at=AT, calendar=CAL, rules=RULES)
    with pytest.raises(WrongStatus):  # open: nothing to follow up yet
        issue.follow_up(Satisfaction.satisfied, note="", on=D("2026-03-10"), by="x", at=AT, calendar=CAL, rules=RULES)
    closing(issue)
    before = len(issue.changes)
    followed = issue.follow_up(Satisfaction.dissatisfied, note="仍缺工", on=D("2026-03-11"), by="clerk", at=AT,
                               calendar=CAL, rules=RULES)
    assert isinstance(followed.event, IssueFollowedUp) and followed.event.unit_id == "dacheng-rss"
    assert [type(c.event) for c in issue.changes[before:]] == [IssueFollowedUp, IssueReopened]
    assert (issue.status, issue.unit_id, issue.routing, issue.assigned_on) == ("open", "dacheng-rss", "routed", D("2026-03-11"))
    assert issue.deadline == D("2026-03-25") and issue.deadline_anchor == D("2026-03-11")
    issue.acknowledge("dacheng-rss", on=D("2026-03-11"), by="x", at=AT, calendar=CAL, rules=RULES)
    again = closing(issue, on="2026-03-13")
    assert again.event.working_days_to_close == 2  # from the reopening
    satisfied = issue.follow_up(Satisfaction.satisfied, note="", on=D("2026-03-16"), by="clerk", at=AT, calendar=CAL,
                                rules=RULES)
    assert issue.status == "closed" and issue.satisfaction == Satisfaction.satisfied and satisfied.event.satisfaction.value == "satisfied"
    assert [f["satisfaction"] for f in issue.follow_ups] == ["dissatisfied", "satisfied"]


def test_satisfaction_sent_at_close_is_still_kept():
    issue = routed()
    issue.close(on=D("2026-03-10"), outcome=Outcome.resolved, resolution="x", satisfaction=Satisfaction.satisfied,
                by="x", at=AT, calendar=CAL)
    assert issue.satisfaction == Satisfaction.satisfied and issue.events[-1].satisfaction == Satisfaction.satisfied


def test_a_finding_has_no_enterprise_and_closes_with_its_own_event():
    finding = Issue.raise_finding("dacheng", "i-f", found_by="walkthrough", subject_kind="procedure",
                                  subject_name="企业开办窗口", category="approval", description="材料要求重复",
                                  raised_on=D("2026-03-02"), by="clerk", at=AT, calendar=CAL, rules=RULES, unit=RSS)
    [event] = finding.events
    assert isinstance(event, FindingRaised) and event.unit_id == "dacheng-rss" and finding.enterprise_id is None
    assert finding.kind == "finding" and finding.routing == "routed"
    finding.acknowledge("dacheng-rss", on=D("2026-03-02"), by="x", at=AT, calendar=CAL, rules=RULES)
    assert finding.events[-1].enterprise_id is None
    closed = closing(finding)
    assert isinstance(closed.event, FindingClosed) and closed.event.subject_name == "企业开办窗口"
    assert closed.event.working_days_to_close == 6


@pytest.mark.parametrize("refused", [
    lambda i: i.acknowledge("c-rsj", on=D("2026-03-03"), by="x", at=AT, calendar=CAL, rules=RULES),  # not its unit
    lambda i: i.acknowledge("dacheng-rss", on=D("2026-03-01"), by="x", at=AT, calendar=CAL, rules=RULES),
    lambda i: i.return_("c-rsj", on=D("2026-03-03"), reason="x", suggested_unit_id=None, by="x", at=AT),
    lambda i: i.return_("dacheng-rss", on=D("2026-03-03"), reason="x", suggested_unit_id="dacheng-rss", by="x", at=AT),
    lambda i: i.set_co_handling([RSS], on=D("2026-03-03"), by="x", at=AT),
    lambda i: i.note_progress("x", unit_id="c-rsj", part_done=False, on=D("2026-03-03"), by="x", at=AT),
    lambda i: i.request_extension("x-1", D("2026-03-16"), reason="x", unit_id=None, on=D("2026-03-03"), by="x", at=AT),
    lambda i: i.decide_extension("x-1", approved=True, reason="", on=D("2026-03-03"), by="x", at=AT),
    lambda i: i.follow_up(Satisfaction.satisfied, note="", on=D("2026-03-03"), by="x", at=AT, calendar=CAL, rules=RULES),
    lambda i: i.assign(on=D("2026-03-03"), reason="", by="x", at=AT),  # no unit named
])
def test_a_refused_step_leaves_the_issue_as_it_was(refused):
    issue = routed()
    before = copy.deepcopy(issue.__dict__)
    with pytest.raises((InvalidValue, WrongStatus, Unknown)):
        refused(issue)
    assert issue.__dict__ == before


def test_an_acknowledged_issue_is_not_acknowledged_twice_nor_a_returned_one():
    issue = routed()
    issue.acknowledge("dacheng-rss", on=D("2026-03-03"), by="x", at=AT, calendar=CAL, rules=RULES)
    with pytest.raises(WrongStatus):
        issue.acknowledge("dacheng-rss", on=D("2026-03-03"), by="x", at=AT, calendar=CAL, rules=RULES)
    issue.return_("dacheng-rss", on=D("2026-03-04"), reason="x", suggested_unit_id=None, by="x", at=AT)
    for again in (lambda: issue.acknowledge("dacheng-rss", on=D("2026-03-04"), by="x", at=AT, calendar=CAL, rules=RULES),
                  lambda: issue.return_("dacheng-rss", on=D("2026-03-04"), reason="x", suggested_unit_id=None, by="x", at=AT)):
        with pytest.raises(WrongStatus):
            again()
