"""Pure: the scorecards (考评) of a period — per official and per responsible unit — from stored facts.

Official: visits led (first visitor), visits joined (another visitor), and of the enterprises assigned to
them (包抓, at registration) how many were visited by anyone in the period. Unit: issues closed in the
period, of those on time, and issues open and overdue at the period's end; an issue's unit is the latest
IssueAssigned (assigned_on, then time) on or before the end, else the one it was raised with.
"""
from __future__ import annotations

from typing import Any, Optional

from reporting.facts import ASSIGNED, ENTERPRISES, VISITS
from reporting.report import Period, issues_of


def _scoped(facts: dict[str, list[dict]], township: Optional[str]) -> dict[str, list[dict]]:
    return facts if township is None else {n: [d for d in docs if d["township"] == township] for n, docs in facts.items()}


def officials(facts: dict[str, list[dict]], township: Optional[str], period: Period) -> list[dict[str, Any]]:
    facts = _scoped(facts, township)
    s, e = period.start.isoformat(), period.end.isoformat()
    cards: dict[tuple[str, str], dict[str, Any]] = {}

    def card(t: str, official: dict) -> dict[str, Any]:
        return cards.setdefault((t, official["official_id"]), {
            "township": t, "official_id": official["official_id"], "name": official["name"], "rank": official["rank"],
            "visits_led": 0, "visits_joined": 0, "assigned_enterprises": set(), "assigned_visited": set(),
        })

    visited = set()
    for v in {(d["township"], d["visit_id"]): d for d in facts.get(VISITS, []) if s <= d["visited_on"] <= e}.values():
        visited.add((v["township"], v["enterprise_id"]))
        for n, official in enumerate(v["visitors"]):
            card(v["township"], official)["visits_led" if n == 0 else "visits_joined"] += 1
    for ent in facts.get(ENTERPRISES, []):
        if ent["registered_on"] > e:
            continue
        for official in ent.get("assigned_officials", []):
            c = card(ent["township"], official)
            c["assigned_enterprises"].add(ent["enterprise_id"])
            if (ent["township"], ent["enterprise_id"]) in visited:
                c["assigned_visited"].add(ent["enterprise_id"])
    out = []
    for c in sorted(cards.values(), key=lambda c: (c["township"], c["official_id"])):
        assigned, done = len(c.pop("assigned_enterprises")), len(c.pop("assigned_visited"))
        out.append({**c, "assigned_enterprises": assigned, "assigned_enterprises_visited": done})
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
