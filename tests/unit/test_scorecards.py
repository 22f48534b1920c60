"""Scorecards (考评) from facts: per official and per responsible unit."""
from __future__ import annotations

from datetime import datetime

import pytest

from contracts import encode, parse
from contracts.envelope import CHINA, new_event
from contracts.events import (
    AssignmentEnded, AssignmentStarted, EnterpriseRegistered, IssueAssigned, IssueClosed, IssueRaised, Official, VisitLogged,
)
from reporting.facts import facts_for
from reporting.report import Period
from reporting.scorecards import officials, units

E1, E2 = "91110000600037341L", "91330782MA2ABCD13A"
LI = Official(official_id="li", name="李县长", rank="county")
HAO = Official(official_id="hao", name="郝书记", rank="township")


def facts(*payloads):
    store: dict[str, dict] = {}
    for n, p in enumerate(payloads):
        event = parse(encode(new_event(p, township="dacheng", source="/t", time=datetime(2026, 1, 1, 8, n, tzinfo=CHINA))))
        for collection, doc in facts_for(event):
            store.setdefault(collection, {})[doc.pop("_id")] = doc
    return {c: list(d.values()) for c, d in store.items()}


def test_officials_lead_join_and_cover_their_assigned_enterprises():
    f = facts(
        EnterpriseRegistered(enterprise_id=E1, name="a", category="industry", registered_on="2026-01-01", assigned_officials=[LI]),
        EnterpriseRegistered(enterprise_id=E2, name="b", category="industry", registered_on="2026-01-01", assigned_officials=[LI]),
        VisitLogged(visit_id="v1", enterprise_id=E1, visited_on="2026-02-01", channel="in_person", kind="joint", visitors=[HAO, LI]),
        VisitLogged(visit_id="v2", enterprise_id=E1, visited_on="2026-05-01", channel="in_person", kind="routine", visitors=[LI]),
    )
    cards = {c["official_id"]: c for c in officials(f, "dacheng", Period.parse("2026-Q1"))}
    assert (cards["hao"]["visits_led"], cards["hao"]["visits_joined"]) == (1, 0)
    assert (cards["li"]["visits_led"], cards["li"]["visits_joined"]) == (0, 1)
    assert (cards["li"]["assigned_enterprises"], cards["li"]["assigned_enterprises_visited"]) == (2, 1)


def test_units_are_credited_by_the_assignment_in_force_at_the_end():
    issue = dict(issue_id="i1", enterprise_id=E1, category="labour", raised_on="2026-01-05", deadline="2026-01-20")
    f = facts(
        IssueRaised(source="visit", description="d", responsible_unit="镇人社所", **issue),
        IssueAssigned(issue_id="i1", enterprise_id=E1, responsible_unit="县人社局", assigned_on="2026-01-10"),
        IssueRaised(source="visit", description="d", responsible_unit="镇规划所", **{**issue, "issue_id": "i2"}),
        IssueClosed(closed_on="2026-01-15", outcome="resolved", resolution="r", **issue),
    )
    cards = {c["responsible_unit"]: c for c in units(f, "dacheng", Period.parse("2026-01"))}
    assert cards["县人社局"] == {"responsible_unit": "县人社局", "issues_closed": 1, "issues_closed_on_time": 1, "issues_open_overdue": 0}
    assert cards["镇规划所"]["issues_open_overdue"] == 1
    assert "镇人社所" not in cards


def test_a_mid_quarter_reassignment_splits_the_quarter_and_the_quota_weighs_the_days():
    """2026-Q1 (90 days): LI assigned to E1 from registration (01-01) to 02-15, WANG from 02-16. LI visits E1 on
    01-20 (assigned) and 03-01 (no longer); WANG visits nothing. Quota: a county leader, 1 visit per quarter."""
    wang = Official(official_id="wang", name="王建国", rank="county")
    f = facts(
        EnterpriseRegistered(enterprise_id=E1, name="a", category="industry", registered_on="2026-01-01", assigned_officials=[LI]),
        AssignmentEnded(enterprise_id=E1, official_id="li", ended_on="2026-02-15", reason="调整"),
        AssignmentStarted(enterprise_id=E1, official=wang, started_on="2026-02-16"),
        VisitLogged(visit_id="v1", enterprise_id=E1, visited_on="2026-01-20", channel="in_person", kind="routine", visitors=[LI]),
        VisitLogged(visit_id="v2", enterprise_id=E1, visited_on="2026-03-01", channel="in_person", kind="routine", visitors=[LI]),
    )
    cards = {c["official_id"]: c for c in officials(f, "dacheng", Period.parse("2026-Q1"))}
    li, w = cards["li"], cards["wang"]
    assert (li["assigned_enterprise_days"], w["assigned_enterprise_days"]) == (46, 44)  # 01-01..02-15, 02-16..03-31
    assert (li["visits_led"], li["assigned_visits"], w["assigned_visits"]) == (2, 1, 0)
    assert (li["assigned_enterprises_visited"], w["assigned_enterprises_visited"]) == (1, 1)  # v2 fell in WANG's days
    assert (li["quota"], li["quota_due"], li["quota_met"], li["attainment_rate"]) == ({"visits": 1, "every": "quarter"}, 1, 1, 1.0)
    assert (w["quota_due"], w["quota_met"], w["attainment_rate"]) == (1, 0, 0.0)
    # A month is shorter than the quarterly quota: no attainment. A monthly quota of 1 for February instead:
    feb = {c["official_id"]: c for c in officials(f, "dacheng", Period.parse("2026-02"))}
    assert feb["li"]["attainment_rate"] is None and feb["li"]["assigned_enterprise_days"] == 15
    monthly = {"county": {"visits": 1, "every": "month"}}
    q1 = {c["official_id"]: c for c in officials(f, "dacheng", Period.parse("2026-Q1"), monthly)}
    # LI: January met (31 days), February not (15 days) -> 31/46; WANG: February (13 days) and March (31) unmet.
    assert q1["li"]["attainment_rate"] == pytest.approx(31 / 46) and (q1["li"]["quota_due"], q1["li"]["quota_met"]) == (2, 1)
    assert (q1["wang"]["quota_due"], q1["wang"]["attainment_rate"]) == (2, 0.0)
    # No quota for the rank: no attainment.
    none = {c["official_id"]: c for c in officials(f, "dacheng", Period.parse("2026-Q1"), {})}
    assert none["li"]["quota"] is None and none["li"]["attainment_rate"] is None
