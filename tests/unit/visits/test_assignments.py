"""包抓 assignments: assign, end, no overlap for one official, never ending before the start, kept by date."""
from __future__ import annotations

import asyncio
from datetime import date

import pytest

from buildingblocks.errors import Conflict, Invalid, NotFound
from tests.unit.visits.conftest import E1, E2, T, TODAY
from visits import handlers
from visits.requests import AssignmentIn

D = date.fromisoformat


async def test_an_assignment_starts_today_on_the_clock_unless_a_start_is_given(seeded, clock):
    shown = await handlers.assign(seeded, T, E1, AssignmentIn(official_id="t-hao"), clock=clock)
    assert shown["assignments"][-1] == {"official_id": "t-hao", "start": TODAY.isoformat(), "end": None}
    assert shown["assigned_official_ids"] == ["c-li", "t-hao"]  # as of today
    shown = await handlers.assign(seeded, T, E1, AssignmentIn(official_id="k-zhao", start=D("2026-04-01")), clock=clock)
    assert "k-zhao" not in shown["assigned_official_ids"]  # not yet
    started = [(p.official.official_id, p.started_on) for _, p, _ in seeded.published]
    assert started == [("t-hao", TODAY), ("k-zhao", D("2026-04-01"))]  # AssignmentStarted, once each


async def test_an_unknown_official_or_enterprise_is_404(seeded, clock):
    with pytest.raises(NotFound) as unknown:
        await handlers.assign(seeded, T, E1, AssignmentIn(official_id="nobody"), clock=clock)
    assert (unknown.value.what, unknown.value.ids) == ("official", ["nobody"])
    with pytest.raises(NotFound) as unknown:
        await handlers.assign(seeded, T, E2, AssignmentIn(official_id="t-hao"), clock=clock)
    assert (unknown.value.what, unknown.value.ids) == ("enterprise", [E2])
    with pytest.raises(NotFound):
        await handlers.end_assignment(seeded, T, E2, "c-li", TODAY, clock=clock)


async def test_one_official_is_never_assigned_twice_over_the_same_days(seeded, clock):
    hao = lambda start, end=None: AssignmentIn(official_id="t-hao", start=D(start), end=D(end) if end else None)  # noqa: E731
    await handlers.assign(seeded, T, E1, hao("2026-02-01", "2026-02-28"), clock=clock)
    for overlapping in (hao("2026-02-28"), hao("2026-01-01", "2026-02-01"), hao("2026-01-01")):
        with pytest.raises(Conflict, match="t-hao is already assigned to this enterprise from 2026-02-01"):
            await handlers.assign(seeded, T, E1, overlapping, clock=clock)
    shown = await handlers.assign(seeded, T, E1, hao("2026-03-01"), clock=clock)  # after the first one: fine
    assert [a["start"] for a in shown["assignments"] if a["official_id"] == "t-hao"] == ["2026-02-01", "2026-03-01"]
    with pytest.raises(Conflict, match="from 2026-01-05"):  # c-li's open assignment runs on
        await handlers.assign(seeded, T, E1, AssignmentIn(official_id="c-li", start=D("2027-01-01")), clock=clock)


async def test_an_assignment_never_ends_before_it_starts(seeded, clock):
    with pytest.raises(Invalid) as bad:  # the start defaults to today; the end is before it
        await handlers.assign(seeded, T, E1, AssignmentIn(official_id="t-hao", end=D("2026-03-01")), clock=clock)
    assert (bad.value.field, bad.value.message) == ("end", "the assignment ends before it starts")
    with pytest.raises(Invalid) as bad:
        await handlers.end_assignment(seeded, T, E1, "c-li", D("2026-01-04"), clock=clock)
    assert (bad.value.field, bad.value.message) == ("end", "the assignment started on 2026-01-05")


async def test_ending_an_assignment_keeps_its_history_and_only_an_open_one_can_end(seeded, clock):
    shown = await handlers.end_assignment(seeded, T, E1, "c-li", D("2026-01-31"), clock=clock)
    assert shown["assignments"] == [{"official_id": "c-li", "start": "2026-01-05", "end": "2026-01-31"}]
    assert shown["assigned_official_ids"] == []
    viewed = await handlers.enterprise(seeded, T, E1, D("2026-01-31"))
    assert viewed["assigned_official_ids"] == ["c-li"]  # the end day is inclusive
    for official_id in ("c-li", "t-hao"):  # ended already; never assigned
        with pytest.raises(NotFound) as none:
            await handlers.end_assignment(seeded, T, E1, official_id, TODAY, clock=clock)
        assert (none.value.what, none.value.ids) == ("current assignment of official", [official_id])


async def test_concurrent_changes_of_the_assignments_are_each_kept(seeded, clock):
    # Both read version 1; the compare-and-set lets one through, the other reads again and changes that.
    await asyncio.gather(
        handlers.assign(seeded, T, E1, AssignmentIn(official_id="t-hao"), clock=clock),
        handlers.assign(seeded, T, E1, AssignmentIn(official_id="k-zhao"), clock=clock),
    )
    assert sorted((await seeded.enterprise(T, E1)).assigned_on(TODAY)) == ["c-li", "k-zhao", "t-hao"]


async def test_of_two_concurrent_assignments_of_one_official_one_is_refused(seeded, clock):
    results = await asyncio.gather(
        *[handlers.assign(seeded, T, E1, AssignmentIn(official_id="t-hao"), clock=clock) for _ in range(2)],
        return_exceptions=True,
    )
    assert sorted(type(x).__name__ for x in results) == ["Conflict", "dict"]


async def test_an_assignment_that_never_gets_its_turn_is_a_conflict(seeded, clock, monkeypatch):
    async def always_stale(enterprise, happened, at):
        return False

    monkeypatch.setattr(seeded, "save_changes", always_stale)
    with pytest.raises(Conflict, match="being changed by someone else"):
        await handlers.assign(seeded, T, E1, AssignmentIn(official_id="t-hao"), clock=clock)
