"""Pure: the report of CONTRACTS.md §3 for a township (or the whole county) and a period, from stored facts.

Beyond contract v1 the issue events refine two figures, and only when such events exist:
- an issue whose latest IssueReopened (reopened_on, then time) is later than its counted close is not closed;
- `issues_overdue_at_end` uses the deadline in force at the period's end: the latest IssueDeadlineChanged
  or IssueReopened with its date on or before the end, else the IssueRaised deadline.
And EnterpriseChanged refines coverage (README, "Enterprises that left the list"): an enterprise is off its list on
day d when its status in force on d (the EnterpriseChanged with the latest status_on ≤ d, then the latest time; else
active) is moved_out or deregistered. `enterprises_registered` counts those registered on or before E that are on
the list on at least one day of [max(S, registered_on), E]; `enterprises_visited` those of them with a visit in
[S, E] on a day they were not off the list.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Optional

from reporting.facts import CLOSED, DEADLINES, ENTERPRISE_CHANGES, ENTERPRISES, RAISED, REOPENED, VISITS
from reporting.ranking import rank

COUNTY = "county"  # the county-wide scope; no township may take this id
SATISFIED = {"very_satisfied", "satisfied", "basically_satisfied"}
LEFT = {"moved_out", "deregistered"}  # the statuses of an enterprise that left the list (迁出, 注销)
_PERIOD = re.compile(r"(?P<y>[0-9]{4})(?:-(?:(?P<m>0[1-9]|1[0-2])|Q(?P<q>[1-4])|H(?P<h>[12])))?")


@dataclass(frozen=True)
class Period:
    text: str
    start: date
    end: date

    @classmethod
    def parse(cls, text: str) -> "Period":
        m = _PERIOD.fullmatch(text)
        if not m or m["y"] == "0000":
            raise ValueError(f"{text!r} is not a period: use YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY")
        y = int(m["y"])
        if m["m"]:
            first, last = int(m["m"]), int(m["m"])
        elif m["q"]:
            first = 3 * int(m["q"]) - 2
            last = first + 2
        elif m["h"]:
            first = 6 * int(m["h"]) - 5
            last = first + 5
        else:
            first, last = 1, 12
        end = date(y, 12, 31) if last == 12 else date.fromordinal(date(y, last + 1, 1).toordinal() - 1)
        return cls(text, date(y, first, 1), end)


def _rate(part: int, whole: int) -> Optional[float]:
    return part / whole if whole else None


def _latest(docs: Iterable[dict], key: str) -> Optional[dict]:
    return max(docs, key=lambda d: (d[key], d["time"]), default=None)


@dataclass
class _Issue:
    enterprise_id: str
    raised_on: str
    deadline: str
    category: str
    close: Optional[dict]
    reopen: Optional[dict]
    changes: list[dict]

    def closed_on(self) -> Optional[str]:
        if self.close is None:
            return None
        if self.reopen and (self.reopen["reopened_on"], self.reopen["time"]) > (self.close["closed_on"], self.close["time"]):
            return None
        return self.close["closed_on"]

    def deadline_at(self, end: str) -> str:
        current = [d for d in self.changes if d["changed_on"] <= end]
        latest = max(current, key=lambda d: (d["changed_on"], d["time"]), default=None)
        return latest["deadline"] if latest else self.deadline


def issues_of(facts: dict[str, list[dict]]) -> dict[tuple[str, str], _Issue]:
    grouped: dict[tuple[str, str], dict[str, list[dict]]] = {}
    for name in (RAISED, CLOSED, REOPENED, DEADLINES):
        for d in facts.get(name, []):
            grouped.setdefault((d["township"], d["issue_id"]), {}).setdefault(name, []).append(d)
    issues = {}
    for k, g in grouped.items():
        raised = min(g.get(RAISED, []), key=lambda d: (d["time"], d["event_id"]), default=None)
        close = _latest(g.get(CLOSED, []), "closed_on")
        basis = raised or close
        if basis is None:
            continue  # only reopenings or deadline changes so far: the issue's facts have not arrived
        reopens = g.get(REOPENED, [])
        changes = [*g.get(DEADLINES, []), *({**r, "changed_on": r["reopened_on"]} for r in reopens)]
        issues[k] = _Issue(basis["enterprise_id"], basis["raised_on"], basis["deadline"], basis["category"], close, _latest(reopens, "reopened_on"),
                           changes)
    return issues


class Statuses:
    """Each enterprise's status over time, from its EnterpriseChanged facts; without any, on the list throughout."""

    def __init__(self, changes: Iterable[dict]):
        self._by: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
        for d in changes:
            self._by.setdefault((d["township"], d["enterprise_id"]), []).append((d["status_on"], d["time"], d["status"]))
        for steps in self._by.values():
            steps.sort()

    def off_list(self, k: tuple[str, str], day: str) -> bool:
        steps = [s for s in self._by.get(k, ()) if s[0] <= day]
        return bool(steps) and steps[-1][2] in LEFT

    def on_list_some_day(self, k: tuple[str, str], first: str, last: str) -> bool:
        """On the list on at least one day of [first, last]: on `first`, or some change in (first, last] puts it back."""
        if not self.off_list(k, first):
            return True
        return any(first < on <= last and not self.off_list(k, on) for on, _, _ in self._by.get(k, ()))


@dataclass
class Tally:
    """The counts behind a report. Things are identified within their township, so the tallies of townships
    add up to the county's exactly, and the county total is their sum (rates are taken after summing)."""
    township: str
    period: Period
    listed: int = 0
    visited: int = 0
    visits: int = 0
    in_person: int = 0
    county_leader: int = 0
    raised: int = 0
    closed: int = 0
    on_time: int = 0
    open_at_end: int = 0
    overdue: int = 0
    rated: int = 0
    satisfied: int = 0
    by_category: dict[str, dict[str, int]] = field(default_factory=dict)

    def __add__(self, other: "Tally") -> "Tally":
        counts = {f: getattr(self, f) + getattr(other, f) for f in _COUNTS}
        by_category = {c: dict(v) for c, v in self.by_category.items()}
        for c, v in other.by_category.items():
            mine = by_category.setdefault(c, {"raised": 0, "closed": 0, "open_at_end": 0})
            for k, n in v.items():
                mine[k] += n
        return Tally(COUNTY, self.period, **counts, by_category=by_category)


_COUNTS = ("listed", "visited", "visits", "in_person", "county_leader", "raised", "closed", "on_time", "open_at_end",
           "overdue", "rated", "satisfied")


def tally_doc(t: Tally) -> dict[str, Any]:
    """A tally as stored (views.py keeps it beside the version it was computed at)."""
    return {**{f: getattr(t, f) for f in _COUNTS}, "by_category": t.by_category}


def tally_from_doc(doc: dict[str, Any], township: str, period: Period) -> Tally:
    return Tally(township, period, **{f: doc[f] for f in _COUNTS}, by_category=doc["by_category"])


def tally(facts: dict[str, list[dict]], township: Optional[str], period: Period) -> Tally:
    if township is not None:
        facts = {name: [d for d in docs if d["township"] == township] for name, docs in facts.items()}
    s, e = period.start.isoformat(), period.end.isoformat()

    registered: dict[tuple[str, str], str] = {}
    for d in facts.get(ENTERPRISES, []):
        k = (d["township"], d["enterprise_id"])
        registered[k] = min(registered.get(k, d["registered_on"]), d["registered_on"])
    statuses = Statuses(facts.get(ENTERPRISE_CHANGES, []))
    listed = {k for k, on in registered.items() if on <= e and statuses.on_list_some_day(k, max(s, on), e)}

    visits = {(d["township"], d["visit_id"]): d for d in facts.get(VISITS, []) if s <= d["visited_on"] <= e}
    visited = {(t, v["enterprise_id"]) for (t, _), v in visits.items()
               if not statuses.off_list((t, v["enterprise_id"]), v["visited_on"])} & listed

    issues = issues_of(facts)
    raised = {k for k, i in issues.items() if s <= i.raised_on <= e}
    closed = {k for k, i in issues.items() if (c := i.closed_on()) and s <= c <= e}
    on_time = {k for k in closed if issues[k].closed_on() <= issues[k].close["deadline"]}
    open_at_end = {k for k, i in issues.items() if i.raised_on <= e and ((c := i.closed_on()) is None or c > e)}
    overdue = {k for k in open_at_end if issues[k].deadline_at(e) < e}
    rated = [issues[k].close["satisfaction"] for k in closed if issues[k].close["satisfaction"] is not None]

    by_category: dict[str, dict[str, int]] = {}
    for label, keys in (("raised", raised), ("closed", closed), ("open_at_end", open_at_end)):
        for k in keys:
            by_category.setdefault(issues[k].category, {"raised": 0, "closed": 0, "open_at_end": 0})[label] += 1

    return Tally(
        township or COUNTY, period, listed=len(listed), visited=len(visited), visits=len(visits),
        in_person=sum(v["channel"] == "in_person" for v in visits.values()),
        county_leader=sum(any(o["rank"] == "county" for o in v["visitors"]) for v in visits.values()),
        raised=len(raised), closed=len(closed), on_time=len(on_time), open_at_end=len(open_at_end), overdue=len(overdue),
        rated=len(rated), satisfied=sum(r in SATISFIED for r in rated), by_category=by_category,
    )


def render(t: Tally) -> dict[str, Any]:
    """The report of CONTRACTS.md §3."""
    return {
        "township": t.township,
        "period": t.period.text,
        "period_start": t.period.start.isoformat(),
        "period_end": t.period.end.isoformat(),
        "enterprises_registered": t.listed,
        "enterprises_visited": t.visited,
        "coverage_rate": _rate(t.visited, t.listed),
        "visits": t.visits,
        "visits_in_person": t.in_person,
        "county_leader_visits": t.county_leader,
        "issues_raised": t.raised,
        "issues_closed": t.closed,
        "issues_closed_on_time": t.on_time,
        "on_time_rate": _rate(t.on_time, t.closed),
        "issues_open_at_end": t.open_at_end,
        "issues_overdue_at_end": t.overdue,
        "satisfaction_rate": _rate(t.satisfied, t.rated),
        "by_category": dict(sorted(t.by_category.items())),
    }


def compute(facts: dict[str, list[dict]], township: Optional[str], period: Period) -> dict[str, Any]:
    return render(tally(facts, township, period))


def by_township(facts: dict[str, list[dict]]) -> dict[str, dict[str, list[dict]]]:
    """The facts grouped by township in one pass (filtering per township would be townships × facts)."""
    out: dict[str, dict[str, list[dict]]] = {}
    for name, docs in facts.items():
        for d in docs:
            out.setdefault(d["township"], {n: [] for n in facts})[name].append(d)
    return out


def county_report(tallies: dict[str, Tally], period: Period) -> dict[str, Any]:
    """Every township's report, the county total (the sum of their tallies) and the ranking."""
    reports = [render(tallies[t]) for t in sorted(tallies)]
    total = sum(tallies.values(), Tally(COUNTY, period))
    return {"period": period.text, "townships": reports, "total": render(total), **rank(reports)}


def report_for(facts: dict[str, list[dict]], scope: str, period: Period) -> dict[str, Any]:
    """A township's report, or for scope "county" every township's, the total over all, and the ranking."""
    if scope != COUNTY:
        return compute(facts, scope, period)
    return county_report({t: tally(f, t, period) for t, f in by_township(facts).items()}, period)
