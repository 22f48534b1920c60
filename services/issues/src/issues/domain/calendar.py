"""Working days on the official Chinese holiday calendar (the State Council's yearly 节假日安排).

In a year whose schedule is loaded, its holidays (放假) are days off, its adjusted working days
(调休上班) are working days, and otherwise Monday to Friday work. The schedule for a year is
published late in the year before, so a year not loaded yet is counted on weekends alone, and
any deadline that counted a day in such a year is marked provisional. Pure: the schedules shipped with the
service are read by `issues.calendar`.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType

_DAY = timedelta(days=1)
# date.fromisoformat also accepts "20260101" and "2026-W01-4"; schedules must be plain YYYY-MM-DD.
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_FIELDS = ("year", "source", "holidays", "workdays")


@dataclass(frozen=True)
class YearSchedule:
    year: int
    holidays: frozenset[date]  # days off by the schedule (may include weekend days)
    workdays: frozenset[date]  # adjusted working days falling on a weekend (调休上班)
    source: str  # the notice, e.g. "国办发明电〔2025〕7号"


class ScheduleError(ValueError):
    """A malformed schedule; the message starts with the field at fault."""


def _parse_day(text: str, where: str) -> date:
    if _ISO_DAY.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise ScheduleError(f"{where}: {text or '(empty)'} is not a date")


def _parse_days(items: object, field: str, year: int, *, weekend_only: bool) -> frozenset[date]:
    if not isinstance(items, list):
        raise ScheduleError(f"{field}: must be a list of dates or date ranges, got {type(items).__name__}")
    days: set[date] = set()
    for i, item in enumerate(items):
        where = f"{field}[{i}]"
        if not isinstance(item, str):
            raise ScheduleError(f"{where}: {item!r} is not a string")
        first, is_range, last = item.partition("/")
        start = _parse_day(first, where)
        end = _parse_day(last, where) if is_range else start
        if end < start:
            raise ScheduleError(f"{where}: range {item} ends before it starts")
        for d in (start, end):
            if d.year != year:
                raise ScheduleError(f"{where}: {d} is not in year {year}")
        d = start
        while d <= end:
            if d in days:  # a repeated day is almost always a typo for another one
                raise ScheduleError(f"{where}: {d} is listed twice")
            if weekend_only and d.weekday() < 5:
                raise ScheduleError(f"{where}: {d} is not a weekend day")
            days.add(d)
            d += _DAY
    return frozenset(days)


def parse_schedule(data: dict) -> YearSchedule:
    """Validate one year's schedule: {"year", "source", "holidays", "workdays"}.

    Each holiday or workday item is "YYYY-MM-DD" or an inclusive range "YYYY-MM-DD/YYYY-MM-DD".
    """
    if not isinstance(data, dict):
        raise ScheduleError(f"schedule: must be an object, got {type(data).__name__}")
    for key in data:
        if key not in _FIELDS:
            raise ScheduleError(f"{key}: unknown field (expected {', '.join(_FIELDS)})")
    for key in _FIELDS:
        if key not in data:
            raise ScheduleError(f"{key}: missing")
    year, source = data["year"], data["source"]
    if type(year) is not int or not 1 <= year <= 9999:
        raise ScheduleError(f"year: {year!r} is not a year")
    if not isinstance(source, str) or not source.strip():
        raise ScheduleError("source: must name the notice, e.g. 国办发明电〔2025〕7号")
    holidays = _parse_days(data["holidays"], "holidays", year, weekend_only=False)
    workdays = _parse_days(data["workdays"], "workdays", year, weekend_only=True)
    if both := holidays & workdays:
        raise ScheduleError(f"workdays: a day cannot be both a holiday and a workday: {min(both)}")
    return YearSchedule(year=year, holidays=holidays, workdays=workdays, source=source.strip())


@dataclass(frozen=True)
class Deadline:
    day: date
    provisional: bool  # True if a day counted towards it is in a year whose schedule is not loaded


class WorkCalendar:
    """An immutable working-day calendar over the loaded year schedules."""

    def __init__(self, schedules: Mapping[int, YearSchedule]):
        for year, schedule in schedules.items():
            if year != schedule.year:
                raise ValueError(f"the schedule for {schedule.year} is filed under {year}")
        self._schedules = MappingProxyType(dict(schedules))

    def with_schedule(self, schedule: YearSchedule) -> WorkCalendar:
        """A new calendar with that year's schedule added or replaced; this one is unchanged."""
        return WorkCalendar({**self._schedules, schedule.year: schedule})

    def years(self) -> list[int]:
        return sorted(self._schedules)

    def knows(self, year: int) -> bool:
        return year in self._schedules

    def is_working_day(self, d: date) -> bool:
        schedule = self._schedules.get(d.year)
        if schedule is not None:
            if d in schedule.holidays:
                return False
            if d in schedule.workdays:
                return True
        return d.weekday() < 5

    def add_working_days(self, start: date, n: int) -> Deadline:
        """The n-th working day after start; start itself never counts, whatever kind of day it is.

        The days examined are those after start up to and including the result. The deadline is
        provisional if any of them is in a year whose schedule is not loaded. n == 0 examines no
        day, so it returns start, never provisional. n < 0 is a ValueError.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        d, provisional = start, False
        while n:
            d += _DAY
            provisional = provisional or not self.knows(d.year)
            if self.is_working_day(d):
                n -= 1
        return Deadline(d, provisional)

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days d have start < d <= end (0 if end <= start)."""
        count, d = 0, start
        while d < end:
            d += _DAY
            count += self.is_working_day(d)
        return count
