"""The official holiday schedules shipped with the service (holidays/<year>.json), and the working-day calendar
of the domain (`issues.domain.calendar`) under its old name."""
from __future__ import annotations

import json
from importlib import resources

from issues.domain.calendar import Deadline, ScheduleError, WorkCalendar, YearSchedule, parse_schedule

__all__ = ["Deadline", "ScheduleError", "WorkCalendar", "YearSchedule", "builtin_schedules", "parse_schedule"]


def builtin_schedules() -> dict[int, YearSchedule]:
    """The schedules shipped in holidays/<year>.json beside this module."""
    schedules: dict[int, YearSchedule] = {}
    folder = resources.files(__package__) / "holidays"
    for file in sorted(folder.iterdir(), key=lambda f: f.name):
        if not file.name.endswith(".json"):
            continue
        try:
            schedule = parse_schedule(json.loads(file.read_text(encoding="utf-8")))
        except (ScheduleError, json.JSONDecodeError) as e:
            raise ScheduleError(f"{file.name}: {e}") from e
        if file.name != f"{schedule.year}.json":
            raise ScheduleError(f"{file.name}: year is {schedule.year}")
        schedules[schedule.year] = schedule
    return schedules
