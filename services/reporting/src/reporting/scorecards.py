"""Pure: the scorecards (考评) of a period — per official and per responsible unit — from stored facts.

Official (README, "Scorecards"), for period [S, E] and the official's cards per township:
- the assignment in force on each day: the official is assigned (包抓) to enterprise X on day d if X is listed on d
  (its earliest registered_on <= d) and some start of the official at X (an AssignmentStarted's started_on, or the
  registered_on of an EnterpriseRegistered naming the official) is on or before d with no AssignmentEnded of the
  official at X on a day in [that start, d) — the end day itself is still assigned;
- visits led (first visitor) and joined (another visitor), whatever they visited;
- assigned_enterprises: enterprises assigned on at least one day of [S, E]; assigned_enterprise_days: those days,
  summed over the enterprises; assigned_enterprises_visited: of those enterprises, the ones visited (by anyone) on
  a day in [S, E] the official was assigned to them; coverage_rate = visited / assigned;
- assigned_visits: visits with the official among the visitors, to an enterprise on a day they were assigned to it;
- attainment (达标率) against the quota of the official's rank, `visits` per `every` (month, quarter or year): for
  each window W of that length within [S, E] and each enterprise X assigned on at least one day of W, the pair is
  met when the official's assigned visits to X in W reach the quota; attainment_rate = the assigned days of the met
  pairs / the assigned days of all pairs (an official assigned for half the quarter counts for that half). Null
  without a quota for the rank, without assigned days, or when [S, E] is not made of whole windows (a month
  against a quarterly quota).

Unit: issues closed in the period, of those on time, and issues open and overdue at the period's end; an issue's
unit is the latest IssueAssigned (assigned_on, then time) on or before the end, else the one it was raised with.
"""
from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any, Optional

from reporting.facts import ASSIGNED, ENDS, ENTERPRISES, STARTS, VISITS
from reporting.report import Period, issues_of

DAY = timedelta(days=1)
WINDOWS = ("month", "quarter", "year")
DEFAULT_QUOTAS: dict[str, dict[str, Any]] = {"county": {"visits": 1, "every": "quarter"}}  # README, "Quotas"


def _scoped(facts: dict[str, list[dict]], township: Optional[str]) -> dict[str, list[dict]]:
    return facts if township is None else {n: [d for d in docs if d["township"] == township] for n, docs in facts.items()}


def assignment_spans(facts: dict[str, list[dict]]) -> dict[tuple[str, str, str], list[tuple[date, Optional[date]]]]:
    """(township, enterprise_id, official_id) → the spans [first, last] (last None: open) the official is assigned,
    from the day the enterprise is listed: each start runs to the first end on or after it, or to the day before the
    next start (which begins the next span)."""
    listed: dict[tuple[str, str], date] = {}
    for d in facts.get(ENTERPRISES, []):
        k = (d["township"], d["enterprise_id"])
        on = date.fromisoformat(d["registered_on"])
        listed[k] = min(listed.get(k, on), on)
    starts: dict[tuple[str, str, str], set[date]] = {}
    for d in facts.get(ENTERPRISES, []):
        for o in d.get("assigned_officials", []):
            starts.setdefault((d["township"], d["enterprise_id"], o["official_id"]), set()).add(date.fromisoformat(d["registered_on"]))
    for d in facts.get(STARTS, []):
        starts.setdefault((d["township"], d["enterprise_id"], d["official"]["official_id"]), set()).add(date.fromisoformat(d["started_on"]))
    ends: dict[tuple[str, str, str], list[date]] = {}
    for d in facts.get(ENDS, []):
        ends.setdefault((d["township"], d["enterprise_id"], d["official_id"]), []).append(date.fromisoformat(d["ended_on"]))
    spans: dict[tuple[str, str, str], list[tuple[date, Optional[date]]]] = {}
    for k, days in starts.items():
        first_listed = listed.get(k[:2])
        if first_listed is None:
            continue  # never registered: not listed on any day
        ordered = sorted(days)
        for i, start in enumerate(ordered):
            last = ordered[i + 1] - DAY if i + 1 < len(ordered) else None
            ended = min((e for e in ends.get(k, []) if e >= start), default=None)
            if ended is not None and (last is None or ended < last):
                last = ended
            start = max(start, first_listed)
            if last is None or start <= last:
                spans.setdefault(k, []).append((start, last))
    return spans


def _days_within(spans: list[tuple[date, Optional[date]]], s: date, e: date) -> int:
    total = 0
    for first, last in spans:
        lo, hi = max(first, s), min(last or e, e)
        total += max(0, (hi - lo).days + 1)
    return total


def _assigned(spans: list[tuple[date, Optional[date]]], day: date) -> bool:
    return any(first <= day and (last is None or day <= last) for first, last in spans)


def windows(period: Period, every: str) -> Optional[list[tuple[date, date]]]:
    """The quota's calendar windows making up the period, or None if it is not made of whole ones."""
    months = {"month": 1, "quarter": 3, "year": 12}[every]
    if (period.start.month - 1) % months or period.end.month % months:
        return None  # periods begin on a month's first day and end on a month's last
    out, (y, m) = [], (period.start.year, period.start.month)
    while True:
        last_month = m + months - 1
        last = date(y, last_month, calendar.monthrange(y, last_month)[1])
        out.append((date(y, m, 1), last))
        if last >= period.end:
            return out
        y, m = (y + 1, 1) if last_month == 12 else (y, last_month + 1)


def officials(facts: dict[str, list[dict]], township: Optional[str], period: Period,
              quotas: Optional[dict[str, Optional[dict[str, Any]]]] = None) -> list[dict[str, Any]]:
    facts = _scoped(facts, township)
    quotas = DEFAULT_QUOTAS if quotas is None else quotas
    S, E = period.start, period.end
    s, e = S.isoformat(), E.isoformat()
    cards: dict[tuple[str, str], dict[str, Any]] = {}
    named: dict[tuple[str, str], tuple] = {}  # the official as named: by the latest start, else the latest visit

    def name(t: str, official: dict, rank_key: tuple) -> None:
        k = (t, official["official_id"])
        candidate = (*rank_key, official["name"], official["rank"])
        if k not in named or candidate > named[k]:
            named[k] = candidate

    def card(t: str, official_id: str) -> dict[str, Any]:
        return cards.setdefault((t, official_id), {
            "township": t, "official_id": official_id, "visits_led": 0, "visits_joined": 0, "assigned_visits": 0,
        })

    spans = assignment_spans(facts)
    by_official: dict[tuple[str, str], dict[str, list]] = {}
    for (t, eid, oid), sp in spans.items():
        by_official.setdefault((t, oid), {})[eid] = sp
    for d in facts.get(ENTERPRISES, []):
        for o in d.get("assigned_officials", []):
            name(d["township"], o, (1, d["registered_on"]))
    for d in facts.get(STARTS, []):
        name(d["township"], d["official"], (1, d["started_on"]))

    visits = list({(d["township"], d["visit_id"]): d for d in facts.get(VISITS, []) if s <= d["visited_on"] <= e}.values())
    visited_while: dict[tuple[str, str], set[str]] = {}  # (township, official) → enterprises visited while assigned
    own_visits: dict[tuple[str, str, str], list[date]] = {}  # (township, official, enterprise) → days of their visits
    for v in visits:
        t, day = v["township"], date.fromisoformat(v["visited_on"])
        for n, official in enumerate(v["visitors"]):
            c = card(t, official["official_id"])
            c["visits_led" if n == 0 else "visits_joined"] += 1
            name(t, official, (0, v["visited_on"], v["visit_id"]))
            sp = by_official.get((t, official["official_id"]), {}).get(v["enterprise_id"])
            if sp and _assigned(sp, day):
                c["assigned_visits"] += 1
                own_visits.setdefault((t, official["official_id"], v["enterprise_id"]), []).append(day)
        for (tt, oid), mine in by_official.items():
            if tt == t and v["enterprise_id"] in mine and _assigned(mine[v["enterprise_id"]], day):
                visited_while.setdefault((t, oid), set()).add(v["enterprise_id"])

    for (t, oid), mine in by_official.items():
        if any(_days_within(sp, S, E) for sp in mine.values()):
            card(t, oid)
    out = []
    for (t, oid), c in sorted(cards.items()):
        *_, official_name, rank = named[(t, oid)]
        mine = by_official.get((t, oid), {})
        days = {eid: _days_within(sp, S, E) for eid, sp in mine.items()}
        assigned = sorted(eid for eid, n in days.items() if n)
        visited = len(visited_while.get((t, oid), set()))
        quota = quotas.get(rank)
        due = met = weight = met_weight = 0
        attainment: Optional[float] = None
        wins = windows(period, quota["every"]) if quota else None
        if wins is not None:
            for first, last in wins:
                for eid in assigned:
                    n = _days_within(mine[eid], first, last)
                    if not n:
                        continue
                    done = sum(first <= d <= last for d in own_visits.get((t, oid, eid), []))
                    due, weight = due + 1, weight + n
                    if done >= quota["visits"]:
                        met, met_weight = met + 1, met_weight + n
            attainment = met_weight / weight if weight else None
        out.append({
            **c, "name": official_name, "rank": rank,
            "assigned_enterprises": len(assigned), "assigned_enterprise_days": sum(days.values()),
            "assigned_enterprises_visited": visited,
            "coverage_rate": visited / len(assigned) if assigned else None,
            "quota": quota, "quota_due": due if wins is not None else None, "quota_met": met if wins is not None else None,
            "attainment_rate": attainment,
        })
    return out


def units(facts: dict[str, list[dict]], township: Optional[str], period: Period) -> list[dict[str, Any]]:
    facts = _scoped(facts, township)
    s, e = period.start.isoformat(), period.end.isoformat()
    raised_with = {(d["township"], d["issue_id"]): d.get("responsible_unit") for d in facts.get("issues_raised", [])}
    assignments: dict[tuple[str, str], list[dict]] = {}
    for a in facts.get(ASSIGNED, []):
        assignments.setdefault((a["township"], a["issue_id"]), []).append(a)
    cards: dict[str, dict[str, int]] = {}
    for k, issue in issues_of(facts).items():
        current = [a for a in assignments.get(k, []) if a["assigned_on"] <= e]
        latest = max(current, key=lambda a: (a["assigned_on"], a["time"]), default=None)
        unit = (latest["responsible_unit"] if latest else raised_with.get(k)) or "(unassigned)"
        c = cards.setdefault(unit, {"issues_closed": 0, "issues_closed_on_time": 0, "issues_open_overdue": 0})
        closed_on = issue.closed_on()
        if closed_on and s <= closed_on <= e:
            c["issues_closed"] += 1
            c["issues_closed_on_time"] += closed_on <= issue.close["deadline"]
        if issue.raised_on <= e and (closed_on is None or closed_on > e) and issue.deadline_at(e) < e:
            c["issues_open_overdue"] += 1
    return [{"responsible_unit": u, **c} for u, c in sorted(cards.items())]
