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
- EnterpriseChanged (beyond v1, README "Enterprises that left the list"): the status in force on a day is the one of
  the change with the latest `status_on` on or before that day, ties by the latest `time` (as instants); none:
  active. On a day whose status is moved_out or deregistered the enterprise is off the list. It is counted in
  `enterprises_registered` if it is on the list on at least one day from max(S, registered_on) to E (checked day by
  day), and in `enterprises_visited` only by a visit in [S, E] on a day it was not off the list.
"""
from __future__ import annotations

import calendar
import random
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Optional

from contracts.events import EnterpriseChanged, EnterpriseRegistered, IssueClosed, IssueRaised, VisitLogged

SATISFIED = {"very_satisfied", "satisfied", "basically_satisfied"}
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
    changes: dict[tuple[str, str], list[tuple[date, datetime, str]]] = {}
    visits: dict[tuple[str, str], VisitLogged] = {}
    issues: dict[tuple[str, str], _Issue] = {}
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
        elif isinstance(d, IssueRaised):
            issue = issues.setdefault((ev.township, d.issue_id), _Issue(None, []))
            assert issue.raised is None, f"reference: two IssueRaised events for {d.issue_id} (never generated)"
            issue.raised = d
        elif isinstance(d, IssueClosed):
            issues.setdefault((ev.township, d.issue_id), _Issue(None, [])).closes.append((d.closed_on, ev.time, d))

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
