"""An independent reference for CONTRACTS.md §3, computed from the events themselves (not from stored facts).

It reads §3 literally, for streams holding only the contract's four report events (EnterpriseRegistered,
VisitLogged, IssueRaised, IssueClosed), and the README's "Reports: the units' figures" for streams that also
hold the issue events beyond v1 (reopenings, deadline changes, routings, 签收, 退回, 回访, findings, units). It
shares nothing with the reporting service but the contract's payload models, so a test comparing the two
checks `facts_for` and `compute` together.

Readings taken (each is the contract's text or the brief's clarification of it):
- each event counts once: events are deduplicated on their `id`;
- an enterprise's `registered_on` is the earliest of its registrations in the township;
- an issue's counted close is its IssueClosed with the latest `closed_on`, ties broken by the latest `time`
  (compared as instants, whatever their offsets); that close's `closed_on`, `deadline` (for on-time) and
  `satisfaction` are the issue's; the other closes count for nothing;
- an issue known only from closes still counts: `raised_on` and `category` come from the IssueRaised if
  present, else from the counted close; for `issues_overdue_at_end` the deadline is the IssueRaised's if
  present, else the counted close's;
- things are identified within their township: (township, enterprise_id), (township, visit_id),
  (township, issue_id); the county total is the union over townships.

Beyond v1 (README, "Reports: the units' figures"; event times compare as instants):
- a close stands unless the issue's latest IssueReopened (reopened_on, then time) is later than it (closed_on,
  then time): then the issue is not closed at all; the deadline for overdue at E is the latest IssueDeadlineChanged
  (changed_on) or IssueReopened (reopened_on) dated on or before E, else the raise's (else the close's);
- the events of an issue_id (acknowledged, returned, assigned, followed up) count only when the issue or finding
  itself is known, from its raise or its close; a finding's own figures never mix with the issues' figures;
- p90 is the nearest rank: the ⌈0.9·n⌉-th smallest value.
- EnterpriseChanged (beyond v1, README "Enterprises that left the list"): the status in force on a day is the one of
  the change with the latest `status_on` on or before that day, ties by the latest `time` (as instants); none:
  active. On a day whose status is moved_out or deregistered the enterprise is off the list. It is counted in
  `enterprises_registered` if it is on the list on at least one day from max(S, registered_on) to E (checked day by
  day), and in `enterprises_visited` only by a visit in [S, E] on a day it was not off the list.

The visits' figures and the comparisons (README, "Reports: the visits' figures and the comparisons"):
- over the visits counted in `visits` (visited_on in [S, E]): how many of each `kind` and of each `channel` (every
  key listed, 0 allowed); for each of the four services (四送), how many visits list it (once however often listed);
  `demands_raised` the demands the visits tell, `demands_resolved_on_spot` those of them with resolved_on_spot;
- `previous_period` is the period of the same kind that ends the day before S (found by the calendar: the month,
  quarter, half or year holding S − 1 day), `same_period_last_year` the one with the same months a year earlier;
  each is {"period": its text} and the COMPARED figures of this same reference for that period (the county total's:
  over all townships' events of that period); null when that period would be before year 1.
"""
from __future__ import annotations

import calendar
import math
import random
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any, Iterable, Optional

from contracts.events import (
    EnterpriseChanged,
    EnterpriseRegistered,
    FindingClosed,
    FindingRaised,
    IssueAcknowledged,
    IssueAssigned,
    IssueClosed,
    IssueDeadlineChanged,
    IssueFollowedUp,
    IssueRaised,
    IssueReopened,
    IssueReturned,
    UnitRegistered,
    VisitLogged,
)

SATISFIED = {"very_satisfied", "satisfied", "basically_satisfied"}
VISIT_KINDS = ("routine", "visit_day", "walkthrough", "joint")
VISIT_CHANNELS = ("in_person", "phone", "remote")
FOUR_SERVICES = ("policy", "warmth", "vitality", "confidence")
COMPARED = ("enterprises_registered", "enterprises_visited", "coverage_rate", "visits", "county_leader_visits",
            "demands_raised", "issues_raised", "issues_closed", "on_time_rate", "resolution_rate", "satisfaction_rate",
            "mean_working_days_to_close")
GONE = {"moved_out", "deregistered"}

# ---------------------------------------------------------------------------------------------- periods

_PERIOD = re.compile(r"(\d{4})(?:-(?:(0[1-9]|1[0-2])|Q([1-4])|H([12])))?", re.ASCII)


@dataclass(frozen=True)
class RefPeriod:
    text: str
    start: date
    end: date


def ref_period(text: str) -> RefPeriod:
    """`YYYY-MM`, `YYYY-Qn`, `YYYY-Hn` or `YYYY` (ASCII digits, nothing before or after); else ValueError."""
    m = _PERIOD.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        raise ValueError(f"not a period: {text!r}")
    year = int(m[1])
    if year < 1:
        raise ValueError(f"not a period: {text!r}")
    if m[2]:
        months = (int(m[2]), int(m[2]))
    elif m[3]:
        q = int(m[3])
        months = (3 * q - 2, 3 * q)
    elif m[4]:
        h = int(m[4])
        months = (6 * h - 5, 6 * h)
    else:
        months = (1, 12)
    last_day = calendar.monthrange(year, months[1])[1]
    return RefPeriod(text, date(year, months[0], 1), date(year, months[1], last_day))


def ref_previous(period: RefPeriod) -> Optional[RefPeriod]:
    """The period of the same kind holding the day before its first day; None before year 1."""
    if period.start == date.min:
        return None
    day = period.start - timedelta(days=1)
    text = period.text
    if len(text) == 4:
        return ref_period(f"{day.year:04d}")
    if text[5] == "Q":
        return ref_period(f"{day.year:04d}-Q{(day.month + 2) // 3}")
    if text[5] == "H":
        return ref_period(f"{day.year:04d}-H{1 if day.month <= 6 else 2}")
    return ref_period(f"{day.year:04d}-{day.month:02d}")


def ref_year_before(period: RefPeriod) -> Optional[RefPeriod]:
    """The same months one year earlier; None in year 1."""
    if period.start.year == 1:
        return None
    return ref_period(str(period.start.year - 1).zfill(4) + period.text[4:])


# ---------------------------------------------------------------------------------------------- USCC

CS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # CONTRACTS / domain-anchors §4: 31 symbols, no I O Z S V
W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_W = [3, 7, 9, 10, 5, 8, 4, 2]


def make_uscc(rng: random.Random) -> str:
    """A code valid under GB 32100 (position 18) and GB 11714 (position 17), per domain-anchors §4."""
    authority = rng.choice(["91", "92", "93", "12", "52", "Y1"])
    region = rng.choice(["110000", "330782", "610422", "440300", "510104"])
    body = "".join(rng.choice(CS) for _ in range(8))
    c = 11 - sum(int(ch, 36) * w for ch, w in zip(body, ORG_W)) % 11
    org_check = "X" if c == 10 else "0" if c == 11 else str(c)
    first17 = authority + region + body + org_check
    return first17 + CS[(31 - sum(CS.index(ch) * w for ch, w in zip(first17, W)) % 31) % 31]


# ---------------------------------------------------------------------------------------------- report


@dataclass
class _Issue:
    raised: Any  # IssueRaised or FindingRaised, or None
    closes: list[tuple[date, datetime, Any]]  # IssueClosed or FindingClosed
    reopens: list[tuple[date, datetime]] = None
    deadline_changes: list[tuple[date, datetime, date]] = None  # (dated, time, new deadline)

    def __post_init__(self):
        self.reopens = self.reopens or []
        self.deadline_changes = self.deadline_changes or []

    def counted(self) -> Optional[tuple[date, datetime, Any]]:
        return max(self.closes, key=lambda c: (c[0], c[1])) if self.closes else None

    def counted_close(self) -> Optional[Any]:
        c = self.counted()
        return c[2] if c is not None else None

    @property
    def raised_on(self) -> date:
        return self.raised.raised_on if self.raised is not None else self.counted_close().raised_on

    @property
    def category(self) -> str:
        src = self.raised if self.raised is not None else self.counted_close()
        return src.category.value

    @property
    def closed_on(self) -> Optional[date]:
        """The counted close's date, unless a later reopening undid it."""
        c = self.counted()
        if c is None:
            return None
        if self.reopens and max(self.reopens) > (c[0], c[1]):
            return None
        return c[0]

    def overdue_deadline(self, end: date) -> date:
        in_force = [(on, t, dl) for on, t, dl in self.deadline_changes if on <= end]
        if in_force:
            return max(in_force, key=lambda x: (x[0], x[1]))[2]
        return self.raised.deadline if self.raised is not None else self.counted_close().deadline


def _rate(part: int, whole: int) -> Optional[float]:
    return None if whole == 0 else part / whole


def reference_report(events: Iterable[Any], township: Optional[str], period: RefPeriod,
                     compare: bool = True, memo: Optional[dict] = None) -> dict[str, Any]:
    """The §3 report of `township` (None: the county total) for `period`, from CloudEvents in any order; with
    `compare`, the comparison blocks of the period before and of the same period a year earlier. `memo` (a dict
    the caller keeps for one list of events) spares computing a period's figures twice."""
    events = list(events)

    def figures(p: RefPeriod) -> dict[str, Any]:
        if memo is None:
            return _reference_report(events, township, p)
        if (township, p.text) not in memo:
            memo[(township, p.text)] = _reference_report(events, township, p)
        return dict(memo[(township, p.text)])

    report = figures(period)
    if compare:
        for name, other in (("previous_period", ref_previous(period)), ("same_period_last_year", ref_year_before(period))):
            if other is None:
                report[name] = None
            else:
                theirs = figures(other)
                report[name] = {"period": other.text, **{f: theirs[f] for f in COMPARED}}
    return report


def _reference_report(events: Iterable[Any], township: Optional[str], period: RefPeriod) -> dict[str, Any]:
    unique: dict[str, Any] = {}
    for ev in events:
        unique.setdefault(ev.id, ev)
    scoped = [ev for ev in unique.values() if township is None or ev.township == township]
    S, E = period.start, period.end

    registered_on: dict[tuple[str, str], date] = {}
    changes: dict[tuple[str, str], list[tuple[date, datetime, str]]] = {}
    visits: dict[tuple[str, str], VisitLogged] = {}
    issues, findings, later = _gather(scoped)
    for ev in scoped:
        d = ev.data
        if isinstance(d, EnterpriseRegistered):
            k = (ev.township, d.enterprise_id)
            registered_on[k] = min(registered_on.get(k, d.registered_on), d.registered_on)
        elif isinstance(d, EnterpriseChanged):
            changes.setdefault((ev.township, d.enterprise_id), []).append((d.status_on, ev.time, d.status.value))
        elif isinstance(d, VisitLogged):
            k = (ev.township, d.visit_id)
            assert k not in visits, f"reference: two VisitLogged events for {k} (the generator never makes this)"
            visits[k] = d

    def gone_on(k: tuple[str, str], day: date) -> bool:
        in_force = [c for c in changes.get(k, []) if c[0] <= day]
        return bool(in_force) and max(in_force, key=lambda c: (c[0], c[1]))[2] in GONE

    def on_list_some_day(k: tuple[str, str], first: date) -> bool:
        if k not in changes:
            return True
        return any(not gone_on(k, first + timedelta(days=n)) for n in range((E - first).days + 1))

    listed = {k for k, on in registered_on.items() if on <= E and on_list_some_day(k, max(S, on))}
    visits_in = {k: v for k, v in visits.items() if S <= v.visited_on <= E}
    visited = {(t, v.enterprise_id) for (t, _), v in visits_in.items()
               if not gone_on((t, v.enterprise_id), v.visited_on)} & listed

    raised = {k for k, i in issues.items() if S <= i.raised_on <= E}
    closed = {k for k, i in issues.items() if i.closed_on is not None and S <= i.closed_on <= E}
    on_time = {k for k in closed if issues[k].closed_on <= issues[k].counted_close().deadline}
    open_at_end = {
        k for k, i in issues.items() if i.raised_on <= E and (i.closed_on is None or i.closed_on > E)
    }
    overdue = {k for k in open_at_end if issues[k].overdue_deadline(E) < E}
    rated = [
        issues[k].counted_close().satisfaction.value
        for k in closed
        if issues[k].counted_close().satisfaction is not None
    ]

    by_category: dict[str, dict[str, int]] = {}
    for label, keys in (("raised", raised), ("closed", closed), ("open_at_end", open_at_end)):
        for k in keys:
            counts = by_category.setdefault(issues[k].category, {"raised": 0, "closed": 0, "open_at_end": 0})
            counts[label] += 1

    return {
        "township": "county" if township is None else township,
        "period": period.text,
        "period_start": S.isoformat(),
        "period_end": E.isoformat(),
        "enterprises_registered": len(listed),
        "enterprises_visited": len(visited),
        "coverage_rate": _rate(len(visited), len(listed)),
        "visits": len(visits_in),
        "visits_in_person": sum(1 for v in visits_in.values() if v.channel.value == "in_person"),
        "county_leader_visits": sum(
            1 for v in visits_in.values() if any(o.rank.value == "county" for o in v.visitors)
        ),
        "issues_raised": len(raised),
        "issues_closed": len(closed),
        "issues_closed_on_time": len(on_time),
        "on_time_rate": _rate(len(on_time), len(closed)),
        "issues_open_at_end": len(open_at_end),
        "issues_overdue_at_end": len(overdue),
        "satisfaction_rate": _rate(sum(1 for s in rated if s in SATISFIED), len(rated)),
        "by_category": by_category,
        **_units_figures(issues, findings, later, closed, S, E),
        **_visits_figures(list(visits_in.values())),
    }


def _visits_figures(visits: list[VisitLogged]) -> dict[str, Any]:
    told = sum(len(v.demands) for v in visits)
    on_spot = sum(1 for v in visits for dm in v.demands if dm.resolved_on_spot)
    return {
        "visits_by_kind": {k: sum(1 for v in visits if v.kind.value == k) for k in VISIT_KINDS},
        "visits_by_channel": {c: sum(1 for v in visits if v.channel.value == c) for c in VISIT_CHANNELS},
        "services_delivered": {x: sum(1 for v in visits if x in {s.value for s in v.services}) for x in FOUR_SERVICES},
        "demands_raised": told,
        "demands_resolved_on_spot": on_spot,
        "on_spot_rate": _rate(on_spot, told),
    }


# ---------------------------------------------------------------------------------------------- beyond v1


def _gather(scoped: list[Any]):
    """Issues and findings by (township, issue_id), and the other issue events by type, each with its township."""
    issues: dict[tuple[str, str], _Issue] = {}
    findings: dict[tuple[str, str], _Issue] = {}
    later: dict[type, list[tuple[str, datetime, Any]]] = {}
    for ev in scoped:
        d = ev.data
        if isinstance(d, (IssueRaised, FindingRaised)):
            book = issues if isinstance(d, IssueRaised) else findings
            item = book.setdefault((ev.township, d.issue_id), _Issue(None, []))
            assert item.raised is None, f"reference: two raises of {d.issue_id} (never generated)"
            item.raised = d
        elif isinstance(d, (IssueClosed, FindingClosed)):
            book = issues if isinstance(d, IssueClosed) else findings
            book.setdefault((ev.township, d.issue_id), _Issue(None, [])).closes.append((d.closed_on, ev.time, d))
        else:
            later.setdefault(type(d), []).append((ev.township, ev.time, d))
    for t, time, d in later.get(IssueReopened, []):
        for book in (issues, findings):
            if (t, d.issue_id) in book:
                book[(t, d.issue_id)].reopens.append((d.reopened_on, time))
                book[(t, d.issue_id)].deadline_changes.append((d.reopened_on, time, d.deadline))
    for t, time, d in later.get(IssueDeadlineChanged, []):
        for book in (issues, findings):
            if (t, d.issue_id) in book:
                book[(t, d.issue_id)].deadline_changes.append((d.changed_on, time, d.deadline))
    return issues, findings, later


def _mean(values: list[int]) -> Optional[float]:
    return sum(values) / len(values) if values else None


def _nearest_rank_p90(values: list[int]) -> Optional[int]:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(Fraction(9, 10) * len(ordered)) - 1]  # exact: no float rounding at n = 10, 20, …


def _units_figures(issues, findings, later, closed, S: date, E: date) -> dict[str, Any]:
    acks = [d for t, _, d in later.get(IssueAcknowledged, []) if (t, d.issue_id) in issues and S <= d.acknowledged_on <= E]
    close_days = [issues[k].counted_close().working_days_to_close for k in closed
                  if issues[k].counted_close().working_days_to_close is not None]
    resolved = [k for k in closed if issues[k].counted_close().outcome.value == "resolved"]
    return {
        "issues_resolved": len(resolved),
        "resolution_rate": _rate(len(resolved), len(closed)),
        "acknowledgements": len(acks),
        "acknowledged_on_time": sum(1 for a in acks if a.on_time),
        "mean_working_days_to_acknowledge": _mean([a.working_days_to_acknowledge for a in acks]),
        "p90_working_days_to_acknowledge": _nearest_rank_p90([a.working_days_to_acknowledge for a in acks]),
        "mean_working_days_to_close": _mean(close_days),
        "p90_working_days_to_close": _nearest_rank_p90(close_days),
        "returns": sum(1 for t, _, d in later.get(IssueReturned, []) if (t, d.issue_id) in issues and S <= d.returned_on <= E),
        "findings_raised": sum(1 for f in findings.values() if S <= f.raised_on <= E),
        "findings_closed": sum(1 for f in findings.values() if f.closed_on is not None and S <= f.closed_on <= E),
    }


UNIT_COLUMNS = ("received", "acknowledged", "acknowledged_on_time", "closed", "closed_on_time", "resolved", "returned",
                "followed_up", "satisfied")


def reference_units(events: Iterable[Any], township: Optional[str], period: RefPeriod) -> list[dict[str, Any]]:
    """The per-unit table of `township` (None: the county) for `period`, read from the README's definitions."""
    unique: dict[str, Any] = {}
    for ev in events:
        unique.setdefault(ev.id, ev)
    everything = list(unique.values())
    scoped = [ev for ev in everything if township is None or ev.township == township]
    S, E = period.start, period.end
    issues, findings, later = _gather(scoped)
    items = {**issues, **findings}

    def who(unit_id: Optional[str], name: Optional[str]) -> Optional[tuple[Optional[str], Optional[str]]]:
        if unit_id:
            return (unit_id, None)
        if name:
            return (None, name)
        return None

    table: dict[tuple, dict[str, int]] = {}

    def bump(unit, column: str, by: int = 1) -> None:
        counts = table.setdefault(unit, {c: 0 for c in UNIT_COLUMNS})
        counts[column] += by

    # routings: (item, date, time, unit)
    routings: list[tuple[tuple[str, str], date, datetime, tuple]] = []
    for key, item in items.items():
        r = item.raised
        if r is not None and (u := who(r.unit_id, r.responsible_unit)) is not None:
            # the time of the raise is not kept on the item: find it among the events
            routings.append((key, r.raised_on, _time_of(scoped, r), u))
    for t, time, d in later.get(IssueAssigned, []):
        if (t, d.issue_id) in items and (u := who(d.unit_id, d.responsible_unit)) is not None:
            routings.append(((t, d.issue_id), d.assigned_on, time, u))
    received = {(key, on, u) for key, on, _, u in routings if S <= on <= E}
    for _, _, u in received:
        bump(u, "received")

    for t, _, d in later.get(IssueAcknowledged, []):
        if (t, d.issue_id) in items and S <= d.acknowledged_on <= E:
            bump((d.unit_id, None), "acknowledged")
            bump((d.unit_id, None), "acknowledged_on_time", 1 if d.on_time else 0)
    for t, _, d in later.get(IssueReturned, []):
        if (t, d.issue_id) in items and S <= d.returned_on <= E:
            bump((d.unit_id, None), "returned")

    for key, item in items.items():
        on = item.closed_on
        if on is None or not (S <= on <= E):
            continue
        closed_on, close_time, close = item.counted()
        unit = (close.unit_id, None) if close.unit_id else None
        if unit is None:
            before = [(d, tm, u) for k, d, tm, u in routings if k == key and d <= closed_on]
            if before:
                unit = max(before, key=lambda x: (x[0], x[1]))[2]
        if unit is None:
            continue
        bump(unit, "closed")
        bump(unit, "closed_on_time", 1 if closed_on <= close.deadline else 0)
        bump(unit, "resolved", 1 if close.outcome.value == "resolved" else 0)
        asked = [(d.followed_up_on, tm, d) for t, tm, d in later.get(IssueFollowedUp, [])
                 if (t, d.issue_id) == key and (d.followed_up_on, tm) >= (closed_on, close_time)]
        if asked:
            bump(unit, "followed_up")
            satisfaction = max(asked, key=lambda x: (x[0], x[1]))[2].satisfaction.value
        else:
            satisfaction = getattr(close, "satisfaction", None)
            satisfaction = satisfaction.value if satisfaction is not None else None
        bump(unit, "satisfied", 1 if satisfaction in SATISFIED else 0)

    registry: dict[str, tuple[datetime, str, str]] = {}
    for ev in everything:  # the registry is county-wide
        if isinstance(ev.data, UnitRegistered):
            seen = registry.get(ev.data.unit_id)
            if seen is None or (ev.time, ev.id) > (seen[0], seen[1]):
                registry[ev.data.unit_id] = (ev.time, ev.id, ev.data.name)
    carried: dict[str, tuple[datetime, str]] = {}
    for ev in scoped:
        d = ev.data
        if isinstance(d, (IssueRaised, FindingRaised, IssueAssigned, IssueAcknowledged, IssueReturned)) and d.unit_id \
                and d.responsible_unit:
            if d.unit_id not in carried or (ev.time, d.responsible_unit) > carried[d.unit_id]:
                carried[d.unit_id] = (ev.time, d.responsible_unit)

    rows = []
    for (unit_id, name), counts in table.items():
        if not any(counts.values()):
            continue
        if unit_id is not None:
            name = registry[unit_id][2] if unit_id in registry else carried[unit_id][1] if unit_id in carried else unit_id
        rows.append({"unit_id": unit_id, "name": name, **counts})
    registered = sorted((r for r in rows if r["unit_id"] is not None), key=lambda r: r["unit_id"])
    free = sorted((r for r in rows if r["unit_id"] is None), key=lambda r: r["name"])
    return registered + free


def _time_of(events: list[Any], payload: Any) -> datetime:
    for ev in events:
        if ev.data is payload:
            return ev.time
    raise AssertionError("reference: a payload without its event")
# ---------------------------------------------------------------------------------------------- scorecards


def _months_of(start: date, end: date) -> list[tuple[int, int]]:
    out, (y, m) = [], (start.year, start.month)
    while (y, m) <= (end.year, end.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _quota_windows(period: RefPeriod, every: str) -> Optional[list[tuple[date, date]]]:
    """The calendar months, quarters or years making up the period; None if it is not made of whole ones."""
    size = {"month": 1, "quarter": 3, "year": 12}[every]
    months = _months_of(period.start, period.end)
    if (months[0][1] - 1) % size or months[-1][1] % size:
        return None
    out = []
    for i in range(0, len(months), size):
        (y1, m1), (y2, m2) = months[i], months[i + size - 1]
        out.append((date(y1, m1, 1), date(y2, m2, calendar.monthrange(y2, m2)[1])))
    return out


def reference_scorecards(events: Iterable[Any], township: Optional[str], period: RefPeriod,
                         quotas: dict[str, Optional[dict[str, Any]]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The officials' scorecards of README "Scorecards", read literally and day by day, from CloudEvents in any
    order: (township, official_id) → the card's figures. The assignment in force on a day: the enterprise is listed
    (earliest registered_on <= day) and some start of the official there (AssignmentStarted.started_on, or the
    registered_on of an EnterpriseRegistered naming them) is on or before the day with no AssignmentEnded of theirs
    there on a day from that start up to the day before."""
    from contracts.events import AssignmentEnded, AssignmentStarted

    unique: dict[str, Any] = {}
    for ev in events:
        unique.setdefault(ev.id, ev)
    scoped = [ev for ev in unique.values() if township is None or ev.township == township]
    listed_on: dict[tuple[str, str], date] = {}
    starts: dict[tuple[str, str, str], set[date]] = {}
    ends: dict[tuple[str, str, str], set[date]] = {}
    ranks: dict[tuple[str, str], str] = {}
    visits: dict[tuple[str, str], VisitLogged] = {}
    for ev in scoped:
        d = ev.data
        if isinstance(d, EnterpriseRegistered):
            k = (ev.township, d.enterprise_id)
            listed_on[k] = min(listed_on.get(k, d.registered_on), d.registered_on)
            for o in d.assigned_officials:
                starts.setdefault((ev.township, d.enterprise_id, o.official_id), set()).add(d.registered_on)
                ranks[(ev.township, o.official_id)] = o.rank.value
        elif isinstance(d, AssignmentStarted):
            starts.setdefault((ev.township, d.enterprise_id, d.official.official_id), set()).add(d.started_on)
            ranks[(ev.township, d.official.official_id)] = d.official.rank.value
        elif isinstance(d, AssignmentEnded):
            ends.setdefault((ev.township, d.enterprise_id, d.official_id), set()).add(d.ended_on)
        elif isinstance(d, VisitLogged):
            visits[(ev.township, d.visit_id)] = d
            for o in d.visitors:
                ranks.setdefault((ev.township, o.official_id), o.rank.value)

    def assigned(t: str, eid: str, oid: str, day: date) -> bool:
        if (t, eid) not in listed_on or listed_on[(t, eid)] > day:
            return False
        for s in starts.get((t, eid, oid), ()):
            if s <= day and not any(s <= e < day for e in ends.get((t, eid, oid), ())):
                return True
        return False

    days = [period.start + timedelta(days=i) for i in range((period.end - period.start).days + 1)]
    in_period = [(t, v) for (t, _), v in visits.items() if period.start <= v.visited_on <= period.end]
    cards: dict[tuple[str, str], dict[str, Any]] = {}
    pairs = {(t, eid, oid) for (t, eid, oid) in starts}
    everyone = {(t, oid) for t, _, oid in pairs} | {(t, o.official_id) for t, v in in_period for o in v.visitors}
    for t, oid in sorted(everyone):
        mine = sorted(eid for (tt, eid, o) in pairs if tt == t and o == oid)
        day_sets = {eid: {d for d in days if assigned(t, eid, oid, d)} for eid in mine}
        assigned_ents = [eid for eid in mine if day_sets[eid]]
        led = sum(1 for tt, v in in_period if tt == t and v.visitors[0].official_id == oid)
        joined = sum(1 for tt, v in in_period if tt == t and any(o.official_id == oid for o in v.visitors[1:]))
        own = [v for tt, v in in_period if tt == t and any(o.official_id == oid for o in v.visitors)
               and v.visited_on in day_sets.get(v.enterprise_id, set())]
        visited = {v.enterprise_id for tt, v in in_period if tt == t and v.visited_on in day_sets.get(v.enterprise_id, set())}
        if not (led or joined or assigned_ents):
            continue
        quota = quotas.get(ranks[(t, oid)])
        wins = _quota_windows(period, quota["every"]) if quota else None
        due = met = None
        attainment = None
        if wins is not None:
            due = met = 0
            total = good = 0
            for first, last in wins:
                for eid in assigned_ents:
                    n = sum(1 for d in day_sets[eid] if first <= d <= last)
                    if n == 0:
                        continue
                    due += 1
                    total += n
                    if sum(1 for v in own if v.enterprise_id == eid and first <= v.visited_on <= last) >= quota["visits"]:
                        met += 1
                        good += n
            attainment = _rate(good, total)
        cards[(t, oid)] = {
            "visits_led": led, "visits_joined": joined, "assigned_visits": len(own),
            "assigned_enterprises": len(assigned_ents),
            "assigned_enterprise_days": sum(len(s) for s in day_sets.values()),
            "assigned_enterprises_visited": len(visited),
            "coverage_rate": _rate(len(visited), len(assigned_ents)),
            "quota_due": due, "quota_met": met, "attainment_rate": attainment,
        }
    return cards
