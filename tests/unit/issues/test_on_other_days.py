"""The suite's date-dependent rules run with the clock on two awkward days: Monday 2027-01-04, in a year whose
holiday schedule is not shipped, and Wednesday 2026-02-18, inside the 2026 Spring Festival holiday (15–23
February, a day off, with Saturday 14 February worked). Deadline counting across the new year, today's SLA deadline,
the escalation sweep, "not in the future", and the provisional deadline recounted when a schedule is loaded."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import httpx
import pytest
from pydantic import ValidationError

from buildingblocks.clock import FixedClock
from contracts.events import IssueDeadlineChanged
from issues import handlers
from issues.domain.rules import RulesIn
from issues.requests import AssignIn, CloseIn, IssueIn, ReopenIn
from tests.support.apps import bearer
from tests.unit.issues.test_api import app_on

T = "dacheng"
E1 = "91330782MA2ABCD13A"
D = date.fromisoformat
SCHEDULE_2027 = {"year": 2027, "source": "test", "holidays": ["2027-01-01", "2027-01-11/2027-01-15"], "workdays": []}


@dataclass
class Day:
    today: date
    sla_today: tuple[str, bool]  # labour (10 working days) raised today: deadline, provisional
    across_new_year: tuple[str, str, bool]  # labour raised on a day late in December: that day, deadline, provisional
    raised_for_levels: str
    levels: dict[str, tuple[str, int | None]]  # deadline → (level today, overdue working days)
    provisional_land_days: int  # a land SLA that makes today's deadline fall in 2027, whose schedule is missing
    provisional: tuple[str, str]  # that deadline, and the one after the 2027 schedule is loaded


DAYS = {
    "2027-01-04": Day(
        today=date(2027, 1, 4),
        sla_today=("2027-01-18", True),  # 2027 on weekends alone
        across_new_year=("2026-12-28", "2027-01-11", True),  # 2027-01-01 counted as a working day, provisionally
        raised_for_levels="2026-12-01",
        levels={"2026-12-25": ("red", 6), "2026-12-31": ("yellow", 2), "2027-01-06": ("blue", 0), "2027-01-08": ("none", None)},
        provisional_land_days=10,
        provisional=("2027-01-18", "2027-01-25"),
    ),
    "2026-02-18 (Spring Festival)": Day(
        today=date(2026, 2, 18),
        sla_today=("2026-03-06", False),  # 19–23 Feb off, Saturday 28 Feb worked
        across_new_year=("2025-12-29", "2026-01-13", False),  # 1–3 Jan 2026 off, Sunday 4 Jan worked
        raised_for_levels="2026-02-02",
        # Fri 02-06: 9–13 Feb and the worked Saturday 14th are six working days overdue; the holiday adds none
        levels={"2026-02-06": ("red", 6), "2026-02-13": ("yellow", 1), "2026-02-25": ("blue", 0), "2026-02-27": ("none", None)},
        provisional_land_days=250,
        provisional=("2027-02-17", "2027-02-25"),
    ),
}


@pytest.fixture(params=list(DAYS), ids=list(DAYS))
def day(request) -> Day:
    return DAYS[request.param]


@pytest.fixture
def clock(day) -> FixedClock:  # the conftest's ctx and request bodies use it
    return FixedClock(day.today)


def body(**extra) -> IssueIn:
    return IssueIn(**{"enterprise_id": E1, "category": "labour", "description": "缺焊工", "source": "leader", **extra})


async def raised(ctx, **extra) -> dict:
    return (await handlers.raise_from_request(ctx, T, body(**extra), None, "张三"))[1]


async def test_an_issue_raised_today_is_due_after_the_sla_in_working_days(ctx, day):
    i = await raised(ctx)
    assert i["raised_on"] == day.today.isoformat()
    assert (i["deadline"], i["deadline_provisional"]) == day.sla_today


async def test_a_deadline_is_counted_across_the_new_year(ctx, day):
    raised_on, deadline, provisional = day.across_new_year
    i = await raised(ctx, raised_on=raised_on)
    assert (i["deadline"], i["deadline_provisional"]) == (deadline, provisional)


async def test_the_sweep_of_today_gives_each_open_issue_its_level(ctx, repo, day):
    ids = {}
    for deadline in day.levels:
        ids[(await raised(ctx, raised_on=day.raised_for_levels, deadline=deadline))["issue_id"]] = deadline
    changed = {c["issue_id"]: c["level"] for c in await handlers.sweep(ctx, T)}
    for issue_id, deadline in ids.items():
        level, overdue = day.levels[deadline]
        stored = repo.docs[(T, issue_id)]
        assert (stored["level"], stored.get("overdue_working_days")) == (level, overdue), deadline
        assert changed.get(issue_id, "none") == level
    assert await handlers.sweep(ctx, T) == []  # the same day again: no level moves


def test_a_day_after_today_is_refused_by_every_body_that_says_not_in_the_future(day):
    today, tomorrow = day.today.isoformat(), (day.today + timedelta(days=1)).isoformat()
    makers = [lambda d: body(raised_on=d), lambda d: AssignIn(responsible_unit="县人社局", assigned_on=d),
              lambda d: CloseIn(closed_on=d, outcome="resolved", resolution="x"),
              lambda d: ReopenIn(reopened_on=d, reason="x")]
    for make in makers:
        make(today)
        with pytest.raises(ValidationError, match=f"cannot be in the future \\(today is {today}\\)"):
            make(tomorrow)


async def test_the_api_says_not_in_the_future_by_the_apps_clock(repo, clock, day):
    transport = httpx.ASGITransport(app=app_on(repo, clock))
    async with httpx.AsyncClient(transport=transport, base_url="http://issues") as client:
        post = lambda d: client.post(f"/api/v1/townships/{T}/issues", headers=bearer("dacheng_clerk"),  # noqa: E731
                                     json={"enterprise_id": E1, "category": "labour", "description": "x",
                                           "source": "leader", "raised_on": d.isoformat()})
        assert (await post(day.today)).status_code == 201
        tomorrow = await post(day.today + timedelta(days=1))
        assert tomorrow.status_code == 422 and f"today is {day.today.isoformat()}" in tomorrow.text


async def test_a_provisional_deadline_is_recounted_when_the_years_schedule_is_loaded(ctx, repo, day):
    await handlers.change_rules(ctx, T, RulesIn(sla_working_days={"land": day.provisional_land_days}))
    i = await raised(ctx, category="land")
    before, after = day.provisional
    assert (i["deadline"], i["deadline_provisional"]) == (before, True)
    assert (await handlers.load_schedule(ctx, 2027, SCHEDULE_2027))["recounted"] == 1
    stored = repo.docs[(T, i["issue_id"])]
    assert (stored["deadline"], stored["deadline_provisional"]) == (after, False)
    [event] = repo.events(IssueDeadlineChanged)
    assert event.changed_on == day.today and event.previous_deadline == D(before)
