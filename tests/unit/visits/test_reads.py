"""What the registry, the guard listing and one enterprise show, on the fake repository."""
from __future__ import annotations

from datetime import timedelta

import pytest

from buildingblocks.errors import NotFound
from tests.unit.visits.conftest import E1, E2, T, TODAY, enterprise, visit
from visits import handlers
from visits.requests import AssignmentIn

DAY = timedelta(days=1)


async def test_the_registry_lists_each_enterprise_with_its_officials_on_the_day_and_its_latest_visit(seeded, clock):
    await handlers.register_enterprise(seeded, T, enterprise(E2, "t-hao"), None, clock=clock)
    await handlers.end_assignment(seeded, T, E1, "c-li", TODAY - 5 * DAY, clock=clock)
    await handlers.assign(seeded, T, E1, AssignmentIn(official_id="k-zhao", start=TODAY - 4 * DAY), clock=clock)
    await handlers.log_visit(seeded, T, visit(TODAY - 3 * DAY, "t-hao"), None, clock=clock)
    await handlers.log_visit(seeded, T, visit(TODAY - 30 * DAY, "c-li"), None, clock=clock)  # logged late: not the latest
    listed = {e["enterprise_id"]: e for e in await handlers.enterprises(seeded, T, TODAY)}
    assert list(listed) == [E2, E1]  # by id
    assert (listed[E1]["assigned_official_ids"], listed[E1]["last_visited_on"], listed[E1]["last_visited_by"]) == (
        ["k-zhao"], (TODAY - 3 * DAY).isoformat(), "郝书记")
    assert (listed[E2]["last_visited_on"], listed[E2]["last_visited_by"]) == (None, None)
    assert "visit_log" not in listed[E1] and "last_visit" not in listed[E1] and "request_hash" not in listed[E1]
    earlier = {e["enterprise_id"]: e for e in await handlers.enterprises(seeded, T, TODAY - 10 * DAY)}
    assert earlier[E1]["assigned_official_ids"] == ["c-li"]


async def test_the_guard_listing_says_whether_a_routine_visit_on_the_day_is_refused_and_from_when_it_is_allowed(seeded, clock):
    await handlers.register_enterprise(seeded, T, enterprise(E2, "t-hao"), None, clock=clock)
    await handlers.log_visit(seeded, T, visit(TODAY - 3 * DAY, "t-hao"), None, clock=clock)
    guard = {g["enterprise_id"]: g for g in await handlers.visit_guard(seeded, T, TODAY)}
    assert guard[E1] == {"enterprise_id": E1, "name": "企业D13A", "last_visited_on": (TODAY - 3 * DAY).isoformat(),
                         "last_visited_by": "郝书记", "routine_visit_refused": True,
                         "routine_visit_allowed_from": (TODAY + 11 * DAY).isoformat()}
    assert guard[E2] == {"enterprise_id": E2, "name": "企业341L", "last_visited_on": None, "last_visited_by": None,
                         "routine_visit_refused": False, "routine_visit_allowed_from": TODAY.isoformat()}
    later = {g["enterprise_id"]: g for g in await handlers.visit_guard(seeded, T, TODAY + 11 * DAY)}
    assert not later[E1]["routine_visit_refused"] and later[E1]["routine_visit_allowed_from"] == (TODAY + 11 * DAY).isoformat()
    await seeded.set_quiet_days(T, 2)
    assert not {g["enterprise_id"]: g for g in await handlers.visit_guard(seeded, T, TODAY)}[E1]["routine_visit_refused"]


async def test_one_enterprise_is_shown_with_its_officials_on_the_day_and_an_unknown_one_is_404(seeded, clock):
    shown = await handlers.enterprise(seeded, T, E1, TODAY)
    assert shown["assigned_official_ids"] == ["c-li"] and shown["registered_on"] == "2026-01-05"
    assert (await handlers.enterprise(seeded, T, E1, TODAY.replace(year=2025)))["assigned_official_ids"] == []
    with pytest.raises(NotFound) as unknown:
        await handlers.enterprise(seeded, T, E2, TODAY)
    assert (unknown.value.what, unknown.value.ids) == ("enterprise", [E2])


async def test_the_visit_log_lists_newest_first_and_filters_by_enterprise_and_dates(seeded, clock):
    await handlers.register_enterprise(seeded, T, enterprise(E2, "t-hao"), None, clock=clock)
    for days in (30, 0, 15):
        await handlers.log_visit(seeded, T, visit(TODAY - days * DAY), None, clock=clock)
    await handlers.log_visit(seeded, T, visit(TODAY, "t-hao", enterprise_id=E2), None, clock=clock)
    assert [v["visited_on"] for v in await seeded.visits(T, E1)] == [(TODAY - d * DAY).isoformat() for d in (0, 15, 30)]
    assert len(await seeded.visits(T, start=(TODAY - 15 * DAY).isoformat(), end=(TODAY - DAY).isoformat())) == 1
