"""Supervision (督办): the level of an open issue on a day, and the board of a township's or the county's open issues."""
from __future__ import annotations

from datetime import date
from typing import Any, Iterable

from contracts.enums import Level
from issues.domain.calendar import WorkCalendar
from issues.domain.rules import Rules


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


BRIEF = ("issue_id", "enterprise_id", "category", "responsible_unit", "deadline", "overdue_working_days",
         "deadline_provisional")
SUPERVISED = (Level.red, Level.yellow, Level.blue)


def _counts() -> dict[str, int]:
    return {"open": 0, **{lv.value: 0 for lv in SUPERVISED}}


def supervision_board(open_issues: Iterable[dict[str, Any]], county: bool = False) -> dict[str, Any]:
    """The supervision board (督办) of these open issues: a brief of each issue at a level, by level; the open ones
    and each level's count by responsible unit; the issues whose deadline is provisional. A township's board
    (`county=False`) names provisional issues by id. The county's adds the township to each brief, the same counts
    by township, and names provisional issues by township and id (ids are unique within a township)."""
    by_level: dict[str, list] = {lv.value: [] for lv in SUPERVISED}
    by_unit: dict[str, dict[str, int]] = {}
    by_township: dict[str, dict[str, int]] = {}
    provisional: list = []
    for d in open_issues:
        brief = {k: d.get(k) for k in BRIEF}
        if county:
            brief = {"township": d["township"], **brief}
        if d["level"] in by_level:
            by_level[d["level"]].append(brief)
        tallies = [by_unit.setdefault(d["responsible_unit"] or "(unassigned)", _counts())]
        if county:
            tallies.append(by_township.setdefault(d["township"], _counts()))
        for tally in tallies:
            tally["open"] += 1
            if d["level"] in tally:
                tally[d["level"]] += 1
        if d.get("deadline_provisional"):
            provisional.append({"township": d["township"], "issue_id": d["issue_id"]} if county else d["issue_id"])
    board: dict[str, Any] = {"by_level": by_level, "by_unit": by_unit, "provisional_deadlines": provisional}
    if county:
        board = {"by_township": dict(sorted(by_township.items())), **board}
    return board
