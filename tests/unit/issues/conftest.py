"""The issues handlers on a fake repository and a fixed clock: no server."""
from __future__ import annotations

from datetime import date

import pytest

from buildingblocks.clock import FixedClock
from issues.calendar import WorkCalendar, builtin_schedules
from issues.handlers import Context
from tests.unit.issues.fakes import FakeRepository

TODAY = date(2026, 11, 16)  # a Monday, after every day the tests give


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TODAY)


@pytest.fixture
def repo() -> FakeRepository:
    return FakeRepository()


@pytest.fixture
def ctx(repo, clock) -> Context:
    return Context(repo, WorkCalendar(builtin_schedules()), clock=clock)


@pytest.fixture(autouse=True)
def bodies_judged_on_the_clock(clock):
    """Request bodies built in a test say "not in the future" by the test's clock, as the API does by the app's."""
    from issues.requests import judging_on

    with judging_on(clock):
        yield
