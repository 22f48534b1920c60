"""The one place "now" and "today" come from, so that every rule can be run on any day.

`CLOCK_TODAY=2027-01-04` (an ISO date) makes every process started with it live on that day: the wall clock is
shifted so that its date is the one given and time still passes. Tests inject `FixedClock` directly.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Optional, Protocol

from buildingblocks.settings import ClockSettings
from contracts.envelope import CHINA


class Clock(Protocol):
    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    """China Standard Time, optionally shifted by a fixed offset (CLOCK_TODAY)."""

    def __init__(self, shift: timedelta = timedelta(0)):
        self.shift = shift

    def now(self) -> datetime:
        return datetime.now(CHINA) + self.shift

    def today(self) -> date:
        return self.now().date()


class FixedClock:
    """A clock that stands still until told to move: for tests."""

    def __init__(self, at: datetime | date):
        self.at = at if isinstance(at, datetime) else datetime(at.year, at.month, at.day, 9, 0, tzinfo=CHINA)

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.date()

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def from_env(value: Optional[str] = None) -> SystemClock:
    if value is None:
        wanted = ClockSettings().clock_today  # CLOCK_TODAY, typed with the other settings
    else:
        wanted = date.fromisoformat(value) if value else None
    if wanted is None:
        return SystemClock()
    return SystemClock(timedelta(days=(wanted - datetime.now(CHINA).date()).days))


clock: Clock = from_env()  # the process's clock; services pass it on, tests pass their own
