"""Scorecards (考评) from facts: per official and per responsible unit."""
from __future__ import annotations

from datetime import datetime

from contracts import encode, parse
from contracts.envelope import CHINA, new_event
from contracts.events import EnterpriseRegistered, IssueAssigned, IssueClosed, IssueRaised, Official, VisitLogged
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
