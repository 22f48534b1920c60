"""One official across townships: county-level officials registered once, assigned in any township, and 我的企业
(their enterprises with the last visit and the open issues), a township seeing only its own."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from buildingblocks.errors import NotFound
from contracts import encode, parse
from contracts.envelope import CHINA, new_event
from contracts.events import AssignmentEnded, AssignmentStarted, IssueClosed, IssueRaised, IssueReopened
from tests.unit.visits.conftest import E1, E2, T, TODAY, enterprise, visit
from visits import handlers, open_issues
from visits.requests import AssignmentIn, CountyOfficialIn

D = date.fromisoformat
X = "xiyang"
WANG = CountyOfficialIn(name="王建国", rank="county", unit="县政府")


async def test_a_county_official_is_registered_once_and_changed_by_putting_it_again(repo, clock):
    assert await handlers.put_county_official(repo, "cl-wang", WANG, clock=clock, by="县营商办管理员") == (True, {
        "township": "county", "official_id": "cl-wang", "name": "王建国", "rank": "county", "unit": "县政府",
        "recorded_by": "县营商办管理员", "recorded_at": clock.now().isoformat(), "idempotency_key": None})
    new, shown = await handlers.put_county_official(repo, "cl-wang", CountyOfficialIn(name="王建国", rank="county"))
    assert (new, shown["unit"]) == (False, None)


async def test_a_county_official_is_assigned_in_two_townships_and_each_assignment_is_published(seeded, clock):
    await handlers.put_county_official(seeded, "cl-wang", WANG)
    await handlers.register_enterprise(seeded, X, enterprise(E2, "cl-wang"), None, clock=clock)
    await handlers.assign(seeded, T, E1, AssignmentIn(official_id="cl-wang", start=D("2026-02-16")), clock=clock)
    await handlers.end_assignment(seeded, T, E1, "c-li", D("2026-02-15"), reason="工作调整", clock=clock)
    published = [(t, p) for t, p, _ in seeded.published]
    assert [type(p).__name__ for _, p in published] == ["EnterpriseRegistered", "AssignmentStarted", "AssignmentEnded"]
    _, started = published[1]
    assert isinstance(started, AssignmentStarted) and started.official.rank.value == "county"
    assert (started.enterprise_id, started.started_on, started.official.name) == (E1, D("2026-02-16"), "王建国")
    township, ended = published[2]
    assert isinstance(ended, AssignmentEnded) and township == T
    assert (ended.official_id, ended.ended_on, ended.reason) == ("c-li", D("2026-02-15"), "工作调整")
    # Registration's officials are in EnterpriseRegistered (started on registered_on), not in an AssignmentStarted.
    assert [o.official_id for o in published[0][1].assigned_officials] == ["cl-wang"]


async def test_an_assignment_given_with_its_end_publishes_both(seeded, clock):
    await handlers.assign(seeded, T, E1, AssignmentIn(official_id="t-hao", start=D("2026-01-10"), end=D("2026-01-20")),
                          clock=clock)
    assert [type(p).__name__ for _, p, _ in seeded.published] == ["AssignmentStarted", "AssignmentEnded"]


def _issue_event(payload, n: int, township: str = T):
    return parse(encode(new_event(payload, township=township, source="/t", time=datetime(2026, 3, 1, 8, n, tzinfo=CHINA))))


def _project(repo, *events) -> None:
    """open_issues' writes, applied as Mongo would ($set, $max, upsert), into the fake's issue_states."""
    for ev in events:
        update = open_issues.update_for(ev)
        doc = repo.issues.setdefault(update._filter["_id"], {})
        doc.update(update._doc["$set"])
        for k, v in update._doc.get("$max", {}).items():
            doc[k] = max(doc.get(k, v), v)


async def test_my_enterprises_across_townships_with_last_visit_and_open_issues_and_a_township_sees_its_own(seeded, clock):
    await handlers.put_county_official(seeded, "cl-wang", WANG)
    await handlers.register_enterprise(seeded, X, enterprise(E2, "cl-wang"), None, clock=clock)
    await handlers.assign(seeded, T, E1, AssignmentIn(official_id="cl-wang", start=D("2026-02-16")), clock=clock)
    await handlers.log_visit(seeded, T, visit(D("2026-03-02"), "cl-wang", "c-li", kind="joint"), None, clock=clock)
    raised = dict(enterprise_id=E1, category="labour", raised_on=D("2026-03-02"), deadline=D("2026-03-20"))
    closed = dict(closed_on=D("2026-03-05"), outcome="resolved", resolution="r", **raised)
    _project(seeded,
             _issue_event(IssueRaised(issue_id="i1", source="visit", description="d", **raised), 1),
             _issue_event(IssueClosed(issue_id="i2", **closed), 2),  # its close arrives before its raise
             _issue_event(IssueRaised(issue_id="i2", source="visit", description="d", **raised), 3),
             _issue_event(IssueRaised(issue_id="i3", source="visit", description="d", **raised), 4),
             _issue_event(IssueClosed(issue_id="i3", **closed), 5),
             _issue_event(IssueReopened(issue_id="i3", enterprise_id=E1, category="labour", reopened_on=D("2026-03-06"),
                                        reason="不满意", deadline=D("2026-03-30")), 6),
             _issue_event(IssueRaised(issue_id="x1", source="visit", description="d", **{**raised, "enterprise_id": E2}), 7, X))
    mine = await handlers.official_enterprises(seeded, "cl-wang", None, TODAY)
    assert mine["townships"] == [T, X]
    rows = {(e["township"], e["enterprise_id"]): e for e in mine["enterprises"]}
    assert set(rows) == {(T, E1), (X, E2)}
    assert rows[(T, E1)]["assigned_since"] == "2026-02-16"
    assert (rows[(T, E1)]["last_visited_on"], rows[(T, E1)]["last_visited_by"]) == ("2026-03-02", "王建国")
    assert rows[(T, E1)]["open_issues"] == 2  # i1 and the reopened i3; i2 is closed
    assert (rows[(X, E2)]["last_visited_on"], rows[(X, E2)]["open_issues"]) == (None, 1)
    # Before the Dacheng assignment started, only Xiyang's.
    early = await handlers.official_enterprises(seeded, "cl-wang", None, D("2026-02-15"))
    assert [e["township"] for e in early["enterprises"]] == [X]
    # Through a township: only that township's.
    dacheng = await handlers.official_enterprises(seeded, "cl-wang", T, TODAY)
    assert [(e["township"], e["enterprise_id"]) for e in dacheng["enterprises"]] == [(T, E1)]
    with pytest.raises(NotFound):
        await handlers.official_enterprises(seeded, "nobody", T, TODAY)


def test_an_issue_is_open_until_closed_and_again_after_a_later_reopening():
    assert open_issues.is_open({"raised": True})
    assert not open_issues.is_open({"closed": "2026-03-05|x"})
    assert open_issues.is_open({"closed": "2026-03-05|a", "reopened": "2026-03-06|a"})
    assert not open_issues.is_open({"raised": True, "closed": "2026-03-09|a", "reopened": "2026-03-06|a"})
