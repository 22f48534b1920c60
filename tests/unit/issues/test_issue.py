"""The Issue aggregate on its own: each change returns the event it causes and its history entry, keeps them until
stored, and a refused change leaves the issue as it was."""
from __future__ import annotations

import copy
from datetime import date

import pytest

from buildingblocks.clock import FixedClock
from contracts.enums import Level, Outcome
from contracts.events import IssueAssigned, IssueClosed, IssueEscalated, IssueRaised
from issues.calendar import WorkCalendar, builtin_schedules
from issues.domain import InvalidValue, Issue, WrongStatus
from issues.domain.rules import Rules

AT = FixedClock(date(2026, 3, 20)).now()
CAL, RULES = WorkCalendar(builtin_schedules()), Rules()


def new() -> Issue:
    return Issue.raise_("dacheng", "i-1", enterprise_id="91330782MA2ABCD13A", category="labour", description="缺焊工",
                        source="leader", raised_on=date(2026, 3, 2), by="张三", at=AT, calendar=CAL, rules=RULES)


def test_raising_says_what_it_caused():
    issue = new()
    assert [type(e) for e in issue.events] == [IssueRaised] and issue.history == [issue.changes[0].history]
    assert issue.deadline == date(2026, 3, 16) and issue.deadline_anchor == issue.raised_on and issue.version == 0


def test_each_change_returns_its_event_and_history_entry_and_queues_them():
    issue = new()
    assigned = issue.assign("县人社局", on=date(2026, 3, 3), reason="", by="张三", at=AT)
    closed = issue.close(on=date(2026, 3, 10), outcome=Outcome.resolved, resolution="招聘会", satisfaction=None, by="张三", at=AT)
    assert isinstance(assigned.event, IssueAssigned) and isinstance(closed.event, IssueClosed)
    assert [c.history["action"] for c in issue.changes] == ["raised", "assigned", "closed"]
    assert closed.at == AT and closed.history["at"] == AT.isoformat()
    assert issue.escalate(on=date(2026, 3, 30), calendar=CAL, rules=RULES, at=AT) is None  # closed: no level


def test_a_level_is_a_change_only_when_it_moves():
    issue = new()
    first = issue.escalate(on=date(2026, 3, 24), calendar=CAL, rules=RULES, at=AT)
    assert isinstance(first.event, IssueEscalated) and first.event.level == Level.red and issue.overdue_working_days == 6
    assert issue.escalate(on=date(2026, 3, 25), calendar=CAL, rules=RULES, at=AT) is None


@pytest.mark.parametrize("refused", [
    lambda i: i.assign("县人社局", on=date(2026, 3, 1), reason="", by="x", at=AT),
    lambda i: i.close(on=date(2026, 3, 1), outcome=Outcome.resolved, resolution="x", satisfaction=None, by="x", at=AT),
    lambda i: i.extend(date(2026, 3, 16), reason="x", on=date(2026, 3, 5), by="x", at=AT),
    lambda i: i.reopen(on=date(2026, 3, 5), reason="x", deadline=None, by="x", at=AT, calendar=CAL, rules=RULES),
])
def test_a_refused_change_leaves_the_issue_as_it_was(refused):
    issue = new()
    before = copy.deepcopy(issue.__dict__)
    with pytest.raises((InvalidValue, WrongStatus)):
        refused(issue)
    assert issue.__dict__ == before
