"""The pure visits domain: 包抓 assignments over time and the disturbance guard."""
from __future__ import annotations

from datetime import date

from visits.domain import Assignment, PastVisit, assigned_on, disturbance_guard

D = date.fromisoformat


def test_assignments_are_looked_up_by_date_and_history_is_kept():
    history = [Assignment("li", D("2026-01-01"), D("2026-03-31")), Assignment("wang", D("2026-04-01"))]
    assert assigned_on(history, D("2026-02-15")) == ["li"]
    assert assigned_on(history, D("2026-03-31")) == ["li"]  # the end day is inclusive
    assert assigned_on(history, D("2026-04-01")) == ["wang"]
    assert assigned_on(history, D("2025-12-31")) == []


PAST = [PastVisit("v1", D("2026-03-01"), "李县长"), PastVisit("v0", D("2026-02-01"), "王镇长")]


def test_a_routine_visit_inside_the_quiet_period_is_refused_saying_when_and_by_whom():
    decision = disturbance_guard(PAST, D("2026-03-10"), 14)
    assert decision.refused
    assert decision.nearest.visit_id == "v1"
    assert decision.quiet_until == D("2026-03-15")
    assert "2026-03-01" in decision.reason and "李县长" in decision.reason and "2026-03-15" in decision.reason


def test_the_quiet_period_ends_on_its_last_day():
    assert disturbance_guard(PAST, D("2026-03-14"), 14).refused
    assert not disturbance_guard(PAST, D("2026-03-15"), 14).refused


def test_a_visit_logged_late_is_checked_against_later_visits_too():
    decision = disturbance_guard(PAST, D("2026-02-25"), 14)
    assert decision.refused and decision.nearest.visit_id == "v1"


def test_joint_visits_and_overrides_pass_but_still_report_the_nearest_visit():
    joint = disturbance_guard(PAST, D("2026-03-02"), 14, joint=True)
    assert not joint.refused and joint.nearest.visit_id == "v1"
    override = disturbance_guard(PAST, D("2026-03-02"), 14, override_reason="企业紧急求助")
    assert not override.refused
    assert disturbance_guard(PAST, D("2026-03-02"), 14, override_reason="  ").refused  # a blank reason is none


def test_no_quiet_period_or_no_past_visit_never_refuses():
    assert not disturbance_guard(PAST, D("2026-03-01"), 0).refused
    assert not disturbance_guard([], D("2026-03-01"), 14).refused
