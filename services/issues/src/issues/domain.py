"""The issues domain, pure: ids that make intake idempotent, deadlines, and supervision levels."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from contracts.enums import Level
from contracts.envelope import CHINA
from issues.calendar import Deadline, WorkCalendar
from issues.rules import Rules

_NS = uuid.UUID("8a0f9c3e-5b7d-4c1a-9e2f-3d6b1a7c5e90")


def today() -> date:
    return datetime.now(CHINA).date()


def issue_id_for_demand(township: str, demand_id: str) -> str:
    """One issue per visit demand, however often the VisitLogged comes."""
    return f"i-{uuid.uuid5(_NS, f'demand|{township}|{demand_id}')}"


def issue_id_for_report(sender: str, external_id: str) -> str:
    """One issue per sender (the CloudEvents source) and external id."""
    return f"i-{uuid.uuid5(_NS, f'report|{sender}|{external_id}')}"


def sla_deadline(calendar: WorkCalendar, rules: Rules, category, anchor: date) -> Deadline:
    return calendar.add_working_days(anchor, rules.sla(category))


def level_on(calendar: WorkCalendar, rules: Rules, deadline: date, on: date) -> tuple[Level, int]:
    """(level, working days overdue) of an open issue on day `on`."""
    if on > deadline:
        overdue = calendar.working_days_between(deadline, on)
        if overdue > rules.red_after_working_days:
            return Level.red, overdue
        return Level.yellow, overdue  # past the deadline is overdue, even over a weekend
    if calendar.working_days_between(on, deadline) <= rules.blue_within_working_days:
        return Level.blue, 0
    return Level.none, 0
