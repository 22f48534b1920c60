"""The aggregates on their own: what each command changes and which events it returns."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from contracts.enums import Channel, EnterpriseCategory, Rank, VisitKind
from contracts.events import AssignmentEnded, AssignmentStarted, EnterpriseRegistered, VisitLogged
from visits.domain import BadValue, Enterprise, Official, TooSoon, UnknownOfficials, Visit, VisitInFuture, known

TODAY = date(2026, 3, 10)
LI, HAO = Official("t", "c-li", "李县长", Rank.county), Official("t", "t-hao", "郝书记", Rank.township)
AT = datetime.fromisoformat("2026-03-10T09:00:00+08:00")


def registered() -> Enterprise:
    enterprise, _ = Enterprise.register(township="t", enterprise_id="91330782MA2ABCD13A", name="甲", registered_on=None,
                                        category=EnterpriseCategory.industry, park=None, assigned=[LI], today=TODAY)
    return enterprise


def visit(enterprise: Enterprise, on: date, *visitors: Official, kind=VisitKind.routine, **extra) -> Visit:
    return Visit.log(visit_id=f"v-{on}-{len(enterprise.visit_log)}", enterprise=enterprise, visited_on=on,
                     channel=Channel.phone, kind=kind, visitors=visitors or (LI,), today=TODAY, logged_at=AT, **extra)


def test_registering_returns_the_registration_with_the_officials_assigned_from_that_day():
    enterprise, events = Enterprise.register(
        township="t", enterprise_id="91330782MA2ABCD13A", name="甲", category=EnterpriseCategory.industry,
        registered_on=date(2026, 1, 5), park="园区", assigned=[LI, HAO], today=TODAY)
    [event] = events
    assert isinstance(event, EnterpriseRegistered) and [o.official_id for o in event.assigned_officials] == ["c-li", "t-hao"]
    assert enterprise.assigned_on(date(2026, 1, 5)) == ["c-li", "t-hao"] and enterprise.assigned_on(date(2026, 1, 4)) == []


def test_assignment_commands_publish_their_start_and_end_and_keep_the_history():
    enterprise = registered()
    [started] = enterprise.assign(HAO, None, None, TODAY)
    assert isinstance(started, AssignmentStarted)
    assert (started.enterprise_id, started.official, started.started_on) == (enterprise.enterprise_id, HAO.as_named(), TODAY)
    [ended] = enterprise.end_assignment("t-hao", date(2026, 3, 20), "调任")
    assert isinstance(ended, AssignmentEnded)
    assert (ended.official_id, ended.ended_on, ended.reason) == ("t-hao", date(2026, 3, 20), "调任")
    assert [(a.official_id, a.end) for a in enterprise.assignments] == [("c-li", None), ("t-hao", date(2026, 3, 20))]


def test_known_officials_come_back_in_the_order_named_and_unknown_ones_are_refused_together():
    assert known(["t-hao", "c-li"], {"c-li": LI, "t-hao": HAO}) == [HAO, LI]
    with pytest.raises(UnknownOfficials) as unknown:
        known(["x", "c-li", "y"], {"c-li": LI})
    assert unknown.value.ids == ["x", "y"]


def test_a_visit_is_judged_on_the_day_it_is_given_and_a_joint_one_needs_company():
    enterprise = registered()
    with pytest.raises(VisitInFuture, match="today is 2026-03-10"):
        visit(enterprise, date(2026, 3, 11))
    with pytest.raises(BadValue, match="joint visit needs at least two"):
        visit(enterprise, TODAY, LI, kind=VisitKind.joint)
    with pytest.raises(BadValue, match="listed twice"):
        visit(enterprise, TODAY, LI, LI)
    assert visit(enterprise, TODAY, HAO, LI).lead.official_id == "t-hao"


def test_the_log_takes_a_visit_and_returns_it_logged_or_refuses_it_too_soon():
    enterprise = registered()
    first = visit(enterprise, date(2026, 3, 1))
    [event] = enterprise.log(first, 14)
    assert isinstance(event, VisitLogged) and event.visit_id == first.visit_id and enterprise.has_logged(first.visit_id)
    with pytest.raises(TooSoon) as refused:
        enterprise.log(visit(enterprise, TODAY, HAO), 14)
    assert refused.value.decision.nearest.visit_id == first.visit_id and len(enterprise.visit_log) == 1
    assert enterprise.log(visit(enterprise, TODAY, HAO, override_reason="停电"), 14)[0].override_reason == "停电"
    assert enterprise.last_visit().visited_on == TODAY
    assert enterprise.routine_visit(date(2026, 3, 23), 14).refused and not enterprise.routine_visit(date(2026, 3, 24), 14).refused


def test_a_visit_of_another_enterprise_is_not_taken_into_the_log():
    one, other = registered(), registered()
    other.enterprise_id = "91110000600037341L"
    with pytest.raises(ValueError):
        one.log(visit(other, TODAY), 14)
