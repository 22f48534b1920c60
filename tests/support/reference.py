"""An independent reference for CONTRACTS.md §3, computed from the events themselves (not from stored facts).

It reads §3 literally, for streams holding only the contract's four report events (EnterpriseRegistered,
VisitLogged, IssueRaised, IssueClosed). It shares nothing with the reporting service but the contract's
payload models, so a test comparing the two checks `facts_for` and `compute` together.

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
"""
from __future__ import annotations

import calendar
import random
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Optional

from contracts.events import EnterpriseRegistered, IssueClosed, IssueRaised, VisitLogged

SATISFIED = {"very_satisfied", "satisfied", "basically_satisfied"}

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
    raised: Optional[IssueRaised]
    closes: list[tuple[date, datetime, IssueClosed]]

    def counted_close(self) -> Optional[IssueClosed]:
        if not self.closes:
            return None
        # Latest closed_on; ties: the latest `time` (aware datetimes compare as instants).
        return max(self.closes, key=lambda c: (c[0], c[1]))[2]

    @property
    def raised_on(self) -> date:
        return self.raised.raised_on if self.raised is not None else self.counted_close().raised_on

    @property
    def category(self) -> str:
        src = self.raised if self.raised is not None else self.counted_close()
        return src.category.value

    @property
    def closed_on(self) -> Optional[date]:
        c = self.counted_close()
        return c.closed_on if c is not None else None

    @property
    def overdue_deadline(self) -> date:
        return self.raised.deadline if self.raised is not None else self.counted_close().deadline


def _rate(part: int, whole: int) -> Optional[float]:
    return None if whole == 0 else part / whole


def reference_report(events: Iterable[Any], township: Optional[str], period: RefPeriod) -> dict[str, Any]:
    """The §3 report of `township` (None: the county total) for `period`, from CloudEvents in any order."""
    unique: dict[str, Any] = {}
    for ev in events:
        unique.setdefault(ev.id, ev)
    scoped = [ev for ev in unique.values() if township is None or ev.township == township]
    S, E = period.start, period.end

    registered_on: dict[tuple[str, str], date] = {}
    visits: dict[tuple[str, str], VisitLogged] = {}
    issues: dict[tuple[str, str], _Issue] = {}
    for ev in scoped:
        d = ev.data
        if isinstance(d, EnterpriseRegistered):
            k = (ev.township, d.enterprise_id)
            registered_on[k] = min(registered_on.get(k, d.registered_on), d.registered_on)
        elif isinstance(d, VisitLogged):
            k = (ev.township, d.visit_id)
            assert k not in visits, f"reference: two VisitLogged events for {k} (the generator never makes this)"
            visits[k] = d
        elif isinstance(d, IssueRaised):
            issue = issues.setdefault((ev.township, d.issue_id), _Issue(None, []))
            assert issue.raised is None, f"reference: two IssueRaised events for {d.issue_id} (never generated)"
            issue.raised = d
        elif isinstance(d, IssueClosed):
            issues.setdefault((ev.township, d.issue_id), _Issue(None, [])).closes.append((d.closed_on, ev.time, d))

    listed = {k for k, on in registered_on.items() if on <= E}
    visits_in = {k: v for k, v in visits.items() if S <= v.visited_on <= E}
    visited = {(t, v.enterprise_id) for (t, _), v in visits_in.items()} & listed

    raised = {k for k, i in issues.items() if S <= i.raised_on <= E}
    closed = {k for k, i in issues.items() if i.closed_on is not None and S <= i.closed_on <= E}
    on_time = {k for k in closed if issues[k].closed_on <= issues[k].counted_close().deadline}
    open_at_end = {
        k for k, i in issues.items() if i.raised_on <= E and (i.closed_on is None or i.closed_on > E)
    }
    overdue = {k for k in open_at_end if issues[k].overdue_deadline < E}
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
    }


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
