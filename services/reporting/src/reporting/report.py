"""Pure: the report of CONTRACTS.md §3 for a township (or the whole county) and a period, from stored facts.

Beyond contract v1 the issue events refine two figures, and only when such events exist:
- an issue whose latest IssueReopened (reopened_on, then time) is later than its counted close is not closed;
- `issues_overdue_at_end` uses the deadline in force at the period's end: the latest IssueDeadlineChanged
  or IssueReopened with its date on or before the end, else the IssueRaised deadline.

The units' figures (解决率, working days to acknowledge and to close, 退回, findings, and the per-unit table)
are added beside them (`FIGURES` 2); each is defined in the README, "Reports: the units' figures".

The visits' figures (by kind, by channel, 四送, demands told and resolved on the spot) and the comparison blocks
(`previous_period`, `same_period_last_year`: the same report's COMPARED figures for the period before and for the same
period a year earlier, from the same facts) are added with `FIGURES` 3 (README, "Reports: the visits' figures and
the comparisons").

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

from reporting.facts import (
    ACKNOWLEDGED,
    ASSIGNED,
    CLOSED,
    COUNTY_WIDE,
    DEADLINES,
    ENTERPRISE_CHANGES,
    ENTERPRISES,
    FINDINGS_CLOSED,
    FINDINGS_RAISED,
    FOLLOWED_UP,
    RAISED,
    REOPENED,
    RETURNED,
    VISITS,
)
from reporting.ranking import rank

COUNTY = "county"  # the county-wide scope; no township may take this id
SATISFIED = {"very_satisfied", "satisfied", "basically_satisfied"}
# The report's shape: 1 = CONTRACTS.md §3 exactly (what bulletins frozen before the units' figures hold), 2 = with them,
# 3 = with the visits' figures and the comparison blocks too.
FIGURES = 3
# Shape 3's keys of the visits' figures: always all of them (a value added to the enums later would be a new shape, so
# that a bulletin frozen with these four still recomputes to the same hash).
KINDS = ("routine", "visit_day", "walkthrough", "joint")  # 日常走访, 企业走访日, 一把手走流程, 联合走访
CHANNELS = ("in_person", "phone", "remote")
SERVICES = ("policy", "warmth", "vitality", "confidence")  # 四送: 送政策, 送温暖, 送活力, 送信心
# The figures a comparison block (previous_period, same_period_last_year) carries of the other period.
COMPARED = ("enterprises_registered", "enterprises_visited", "coverage_rate", "visits", "county_leader_visits",
            "demands_raised", "issues_raised", "issues_closed", "on_time_rate", "resolution_rate", "satisfaction_rate",
            "mean_working_days_to_close")
UNIT_COUNTS = ("received", "acknowledged", "acknowledged_on_time", "closed", "closed_on_time", "resolved", "returned",
               "followed_up", "satisfied")
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

    def previous(self) -> Optional["Period"]:
        """The period of the same kind just before: the month, quarter, half or year before (2026-01 → 2025-12,
        2026-Q1 → 2025-Q4, 2026-H1 → 2025-H2, 2026 → 2025). None before year 0001 (0001-01, 0001-Q1, 0001-H1, 0001):
        there is no year 0000."""
        y, tag = self.start.year, self.text[5:6]
        if tag == "Q":
            y, n = (y - 1, 4) if self.text[6] == "1" else (y, int(self.text[6]) - 1)
            text = f"{y:04d}-Q{n}"
        elif tag == "H":
            y, n = (y - 1, 2) if self.text[6] == "1" else (y, 1)
            text = f"{y:04d}-H{n}"
        elif tag:
            y, n = (y - 1, 12) if self.start.month == 1 else (y, self.start.month - 1)
            text = f"{y:04d}-{n:02d}"
        else:
            y -= 1
            text = f"{y:04d}"
        return Period.parse(text) if y >= 1 else None

    def year_before(self) -> Optional["Period"]:
        """The same period one year earlier (2026-03 → 2025-03, 2026-Q1 → 2025-Q1, 2026 → 2025); None in year 0001."""
        y = self.start.year - 1
        return Period.parse(f"{y:04d}{self.text[4:]}") if y >= 1 else None


def _rate(part: int, whole: int) -> Optional[float]:
    return part / whole if whole else None


def _latest(docs: Iterable[dict], key: str) -> Optional[dict]:
    return max(docs, key=lambda d: (d[key], d["time"]), default=None)


@dataclass
class _Issue:
    enterprise_id: Optional[str]  # None for a finding
    raised_on: str
    deadline: str
    category: str
    close: Optional[dict]
    reopen: Optional[dict]
    changes: list[dict]
    raised: Optional[dict] = None  # the raise itself, if it has arrived: the first routing

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
    """The enterprises' issues (IssueRaised / IssueClosed), by (township, issue_id)."""
    return _items(facts, RAISED, CLOSED)


def findings_of(facts: dict[str, list[dict]]) -> dict[tuple[str, str], _Issue]:
    """The findings (FindingRaised / FindingClosed): the same rules, their own counts."""
    return _items(facts, FINDINGS_RAISED, FINDINGS_CLOSED)


def _items(facts: dict[str, list[dict]], raised_name: str, closed_name: str) -> dict[tuple[str, str], _Issue]:
    grouped: dict[tuple[str, str], dict[str, list[dict]]] = {}
    for name in (raised_name, closed_name, REOPENED, DEADLINES):
        for d in facts.get(name, []):
            grouped.setdefault((d["township"], d["issue_id"]), {}).setdefault(name, []).append(d)
    issues = {}
    for k, g in grouped.items():
        raised = min(g.get(raised_name, []), key=lambda d: (d["time"], d["event_id"]), default=None)
        close = _latest(g.get(closed_name, []), "closed_on")
        basis = raised or close
        if basis is None:
            continue  # only reopenings or deadline changes so far: the issue's facts have not arrived
        reopens = g.get(REOPENED, [])
        changes = [*g.get(DEADLINES, []), *({**r, "changed_on": r["reopened_on"]} for r in reopens)]
        issues[k] = _Issue(basis.get("enterprise_id"), basis["raised_on"], basis["deadline"], basis["category"], close,
                           _latest(reopens, "reopened_on"), changes, raised)
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
    # The units' figures. Working days are kept as {days: how many} (keys are text, as stored), so the county's
    # mean and p90 are taken over all townships' values together, like its rates.
    resolved: int = 0
    acknowledged: int = 0
    acknowledged_on_time: int = 0
    returns: int = 0
    findings_raised: int = 0
    findings_closed: int = 0
    days_to_acknowledge: dict[str, int] = field(default_factory=dict)
    days_to_close: dict[str, int] = field(default_factory=dict)
    # {"id:<unit_id>" | "name:<free text>": {unit_id, name (free text only), <UNIT_COUNTS>}}: the per-unit table's rows
    units: dict[str, dict[str, Any]] = field(default_factory=dict)
    unit_names: dict[str, list[str]] = field(default_factory=dict)  # carried_names()
    # The visits' figures (FIGURES 3): visits by kind and by channel, visits that delivered each service (四送), as
    # {value: how many} (a value the tally met but shape 3 does not list is kept, and not rendered).
    kinds: dict[str, int] = field(default_factory=dict)
    channels: dict[str, int] = field(default_factory=dict)
    services: dict[str, int] = field(default_factory=dict)
    demands: int = 0
    demands_on_spot: int = 0

    def __add__(self, other: "Tally") -> "Tally":
        counts = {f: getattr(self, f) + getattr(other, f) for f in _COUNTS}
        by_category = {c: dict(v) for c, v in self.by_category.items()}
        for c, v in other.by_category.items():
            mine = by_category.setdefault(c, {"raised": 0, "closed": 0, "open_at_end": 0})
            for k, n in v.items():
                mine[k] += n
        units = {k: dict(v) for k, v in self.units.items()}
        for k, row in other.units.items():
            mine = units.get(k)
            if mine is None:
                units[k] = dict(row)
                continue
            for c in UNIT_COUNTS:
                mine[c] += row[c]
        names = dict(self.unit_names)
        for u, carried in other.unit_names.items():
            names[u] = max(names.get(u, carried), carried)
        return Tally(COUNTY, self.period, **counts, by_category=by_category,
                     days_to_acknowledge=_merged(self.days_to_acknowledge, other.days_to_acknowledge),
                     days_to_close=_merged(self.days_to_close, other.days_to_close), units=units, unit_names=names,
                     **{f: _merged(getattr(self, f), getattr(other, f)) for f in _HISTOGRAMS})


_COUNTS = ("listed", "visited", "visits", "in_person", "county_leader", "raised", "closed", "on_time", "open_at_end",
           "overdue", "rated", "satisfied", "resolved", "acknowledged", "acknowledged_on_time", "returns",
           "findings_raised", "findings_closed", "demands", "demands_on_spot")
_HISTOGRAMS = ("kinds", "channels", "services")
# A stored tally of another format is computed again: 1 (none) before the units' figures, 2 before the visits' figures.
TALLY_FORMAT = 3


def _merged(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    out = dict(a)
    for k, n in b.items():
        out[k] = out.get(k, 0) + n
    return out


def tally_doc(t: Tally) -> dict[str, Any]:
    """A tally as stored (views.py keeps it beside the version it was computed at)."""
    return {**{f: getattr(t, f) for f in _COUNTS}, "by_category": t.by_category, "days_to_acknowledge": t.days_to_acknowledge,
            "days_to_close": t.days_to_close, "units": [[k, row] for k, row in t.units.items()],  # a free-text name may hold a "."
            "unit_names": t.unit_names, **{f: getattr(t, f) for f in _HISTOGRAMS}, "format": TALLY_FORMAT}


def tally_from_doc(doc: dict[str, Any], township: str, period: Period) -> Optional[Tally]:
    """The stored tally, or None if it was stored in an older format."""
    if doc.get("format") != TALLY_FORMAT:
        return None
    return Tally(township, period, **{f: doc[f] for f in _COUNTS}, by_category=doc["by_category"],
                 days_to_acknowledge=doc["days_to_acknowledge"], days_to_close=doc["days_to_close"], units=dict(doc["units"]),
                 unit_names=doc["unit_names"], **{f: doc[f] for f in _HISTOGRAMS})


def _scoped(facts: dict[str, list[dict]], township: Optional[str]) -> dict[str, list[dict]]:
    if township is None:
        return facts
    return {name: [d for d in docs if d["township"] == township] for name, docs in facts.items()}


def tally(facts: dict[str, list[dict]], township: Optional[str], period: Period) -> Tally:
    return _tally(_scoped(facts, township), township, period)


def _counted(values: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def _tally(facts: dict[str, list[dict]], township: Optional[str], period: Period) -> Tally:
    """The tally of facts already of the township (or of the county)."""
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

    findings = findings_of(facts)
    acks = [a for a in facts.get(ACKNOWLEDGED, []) if (a["township"], a["issue_id"]) in issues and s <= a["acknowledged_on"] <= e]
    days_to_acknowledge: dict[str, int] = {}
    for a in acks:
        days_to_acknowledge[str(a["working_days"])] = days_to_acknowledge.get(str(a["working_days"]), 0) + 1
    days_to_close: dict[str, int] = {}
    for k in closed:
        if (wd := issues[k].close.get("working_days")) is not None:
            days_to_close[str(wd)] = days_to_close.get(str(wd), 0) + 1

    return Tally(
        township or COUNTY, period, listed=len(listed), visited=len(visited), visits=len(visits),
        in_person=sum(v["channel"] == "in_person" for v in visits.values()),
        county_leader=sum(any(o["rank"] == "county" for o in v["visitors"]) for v in visits.values()),
        raised=len(raised), closed=len(closed), on_time=len(on_time), open_at_end=len(open_at_end), overdue=len(overdue),
        rated=len(rated), satisfied=sum(r in SATISFIED for r in rated), by_category=by_category,
        resolved=sum(issues[k].close.get("outcome") == "resolved" for k in closed),
        acknowledged=len(acks), acknowledged_on_time=sum(bool(a["on_time"]) for a in acks),
        returns=sum((r["township"], r["issue_id"]) in issues and s <= r["returned_on"] <= e for r in facts.get(RETURNED, [])),
        findings_raised=sum(s <= f.raised_on <= e for f in findings.values()),
        findings_closed=sum(bool((c := f.closed_on()) and s <= c <= e) for f in findings.values()),
        days_to_acknowledge=days_to_acknowledge, days_to_close=days_to_close,
        units=unit_rows(facts, {**issues, **findings}, s, e), unit_names=carried_names(facts),
        kinds=_counted(v.get("kind") for v in visits.values() if v.get("kind")),
        channels=_counted(v["channel"] for v in visits.values()),
        services=_counted(x for v in visits.values() for x in set(v.get("services", ()))),  # listed twice: once
        # a visit fact stored before demands_on_spot existed counts none resolved on the spot (a rebuild refills it)
        demands=sum(v.get("demands", 0) for v in visits.values()),
        demands_on_spot=sum(v.get("demands_on_spot", 0) for v in visits.values()),
    )


def _ref(unit_id: Optional[str], name: Optional[str]) -> Optional[str]:
    """The row a routing, close, acknowledgement or return counts in: the registered unit, else the free-text name."""
    return f"id:{unit_id}" if unit_id else f"name:{name}" if name else None


def unit_rows(facts: dict[str, list[dict]], items: dict[tuple[str, str], _Issue], s: str, e: str) -> dict[str, dict[str, Any]]:
    """The per-unit table's rows over the issues and findings of the facts (README, "Reports: the units' figures")."""
    rows: dict[str, dict[str, Any]] = {}

    def row(ref: str) -> dict[str, Any]:
        kind, _, value = ref.partition(":")
        return rows.setdefault(ref, {"unit_id": value if kind == "id" else None, "name": None if kind == "id" else value,
                                     **{c: 0 for c in UNIT_COUNTS}})

    routings: dict[tuple[str, str], list[tuple[str, str, str]]] = {}  # item → [(date, time, ref)]
    for name, on in ((RAISED, "raised_on"), (FINDINGS_RAISED, "raised_on"), (ASSIGNED, "assigned_on")):
        for d in facts.get(name, []):
            k = (d["township"], d["issue_id"])
            if k in items and (ref := _ref(d.get("unit_id"), d.get("responsible_unit"))):
                if name != ASSIGNED and items[k].raised is not d:
                    continue  # a second raise of one issue is not a routing
                routings.setdefault(k, []).append((d[on], d["time"], ref))
    for k, found in routings.items():
        for ref in {ref: None for _, _, ref in found}:
            row_days = {on for on, _, r in found if r == ref and s <= on <= e}
            if row_days:
                row(ref)["received"] += len(row_days)  # one routing per day, however many events said so

    for a in facts.get(ACKNOWLEDGED, []):
        if (a["township"], a["issue_id"]) in items and s <= a["acknowledged_on"] <= e:
            r = row(_ref(a["unit_id"], None))
            r["acknowledged"] += 1
            r["acknowledged_on_time"] += bool(a["on_time"])
    for d in facts.get(RETURNED, []):
        if (d["township"], d["issue_id"]) in items and s <= d["returned_on"] <= e:
            row(_ref(d["unit_id"], None))["returned"] += 1

    follow_ups: dict[tuple[str, str], list[dict]] = {}
    for f in facts.get(FOLLOWED_UP, []):
        follow_ups.setdefault((f["township"], f["issue_id"]), []).append(f)
    for k, item in items.items():
        closed_on = item.closed_on()
        if not (closed_on and s <= closed_on <= e):
            continue
        close = item.close
        ref = _ref(close.get("unit_id"), None)
        if ref is None:  # a close without its unit (v1): the unit it was routed to last, on or before the close
            before = [r for r in routings.get(k, []) if r[0] <= closed_on]
            ref = max(before)[2] if before else None
        if ref is None:
            continue
        r = row(ref)
        r["closed"] += 1
        r["closed_on_time"] += closed_on <= close["deadline"]
        r["resolved"] += close.get("outcome") == "resolved"
        after = [f for f in follow_ups.get(k, []) if (f["followed_up_on"], f["time"]) >= (close["closed_on"], close["time"])]
        latest = _latest(after, "followed_up_on")
        r["followed_up"] += latest is not None
        r["satisfied"] += (latest["satisfaction"] if latest else close.get("satisfaction")) in SATISFIED

    return rows


def carried_names(facts: dict[str, list[dict]]) -> dict[str, list[str]]:
    """{unit_id: [time, name]}: the latest name (by time, then name) the issue events carry for each unit, used for
    the units the registry does not name; kept for every unit, not only the period's rows, as the county sums them."""
    names: dict[str, list[str]] = {}
    for name in (RAISED, FINDINGS_RAISED, ASSIGNED, ACKNOWLEDGED, RETURNED):
        for d in facts.get(name, []):
            if (u := d.get("unit_id")) and d.get("responsible_unit") and [d["time"], d["responsible_unit"]] > names.get(u, ["", ""]):
                names[u] = [d["time"], d["responsible_unit"]]
    return names


def units_table(t: Tally, registry: list[dict]) -> list[dict[str, Any]]:
    """The per-unit table: a registered unit's name is its latest UnitRegistered's (by time), else the name its issue
    events carried; rows of registered units first by unit_id, then free-text units by name."""
    registered: dict[str, dict] = {}
    for u in registry:
        if u["unit_id"] not in registered or (u["time"], u["event_id"]) > (registered[u["unit_id"]]["time"], registered[u["unit_id"]]["event_id"]):
            registered[u["unit_id"]] = u
    out = []
    for r in t.units.values():
        if r["unit_id"] is None:
            name = r["name"]
        elif r["unit_id"] in registered:
            name = registered[r["unit_id"]]["name"]
        else:
            name = t.unit_names.get(r["unit_id"], [None, r["unit_id"]])[1]
        out.append({"unit_id": r["unit_id"], "name": name, **{c: r[c] for c in UNIT_COUNTS}})
    return sorted(out, key=lambda r: (r["unit_id"] is None, r["unit_id"] or "", r["name"]))


def _mean(hist: dict[str, int]) -> Optional[float]:
    n = sum(hist.values())
    return sum(int(d) * c for d, c in hist.items()) / n if n else None


def _p90(hist: dict[str, int]) -> Optional[int]:
    """Nearest rank: the smallest value with at least 90% of the values at or below it (rank ⌈0.9 n⌉)."""
    n = sum(hist.values())
    if not n:
        return None
    rank, seen = (9 * n + 9) // 10, 0
    for d in sorted(hist, key=int):
        seen += hist[d]
        if seen >= rank:
            return int(d)
    raise AssertionError("unreachable")


# What a shape-3 report compares with: the tallies of the period before and of the same period a year earlier, each
# None when that period does not exist (before year 0001): its block is then null.
Compared = tuple[Optional[Tally], Optional[Tally]]


def compared_periods(period: Period) -> tuple[Optional[Period], Optional[Period]]:
    """The periods a report of `period` compares with: the one just before, and the same one a year earlier."""
    return period.previous(), period.year_before()


def _block(t: Optional[Tally]) -> Optional[dict[str, Any]]:
    if t is None:
        return None
    full = render(t, 3)
    return {"period": t.period.text, **{f: full[f] for f in COMPARED}}


def render(t: Tally, figures: int = FIGURES, compared: Optional[Compared] = None) -> dict[str, Any]:
    """The report of CONTRACTS.md §3, with `figures` 2 the units' figures after it, and with 3 the visits' figures
    and, given the other periods' tallies (`compared`), the comparison blocks `previous_period` and
    `same_period_last_year`. A caller that reads only the figures (not a report sent or frozen) may leave `compared`
    out: the blocks are then left out."""
    report = {
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
    if figures >= 2:
        report.update({
            "issues_resolved": t.resolved,
            "resolution_rate": _rate(t.resolved, t.closed),
            "acknowledgements": t.acknowledged,
            "acknowledged_on_time": t.acknowledged_on_time,
            "mean_working_days_to_acknowledge": _mean(t.days_to_acknowledge),
            "p90_working_days_to_acknowledge": _p90(t.days_to_acknowledge),
            "mean_working_days_to_close": _mean(t.days_to_close),
            "p90_working_days_to_close": _p90(t.days_to_close),
            "returns": t.returns,
            "findings_raised": t.findings_raised,
            "findings_closed": t.findings_closed,
        })
    if figures >= 3:
        report.update({
            "visits_by_kind": {k: t.kinds.get(k, 0) for k in KINDS},
            "visits_by_channel": {c: t.channels.get(c, 0) for c in CHANNELS},
            "services_delivered": {x: t.services.get(x, 0) for x in SERVICES},
            "demands_raised": t.demands,
            "demands_resolved_on_spot": t.demands_on_spot,
            "on_spot_rate": _rate(t.demands_on_spot, t.demands),
        })
        if compared is not None:
            report["previous_period"] = _block(compared[0])
            report["same_period_last_year"] = _block(compared[1])
    return report


def compute(facts: dict[str, list[dict]], township: Optional[str], period: Period, figures: int = FIGURES) -> dict[str, Any]:
    """The report of the township (None: the county total) from its facts, with shape 3's comparisons among them."""
    facts = _scoped(facts, township)
    t = _tally(facts, township, period)
    if figures < 3:
        return render(t, figures)
    prev, last_year = compared_periods(period)
    return render(t, figures, tuple(_tally(facts, township, p) if p else None for p in (prev, last_year)))


def by_township(facts: dict[str, list[dict]]) -> dict[str, dict[str, list[dict]]]:
    """The facts grouped by township in one pass (filtering per township would be townships × facts)."""
    out: dict[str, dict[str, list[dict]]] = {}
    for name, docs in facts.items():
        if name in COUNTY_WIDE:
            continue  # the registry is county-wide, not a township's (a bulletin's facts from the log hold it)
        for d in docs:
            out.setdefault(d["township"], {n: [] for n in facts if n not in COUNTY_WIDE})[name].append(d)
    return out


def county_total(tallies: dict[str, Tally], period: Period) -> Tally:
    return sum(tallies.values(), Tally(COUNTY, period))


# What a shape-3 county report compares with: every township's tallies of the period before and of the same period a
# year earlier (None when that period does not exist); a township missing from one has an empty tally there.
CountyCompared = tuple[Optional[dict[str, Tally]], Optional[dict[str, Tally]]]


def county_report(tallies: dict[str, Tally], period: Period, figures: int = FIGURES,
                  compared: Optional[CountyCompared] = None) -> dict[str, Any]:
    """Every township's report, the county total (the sum of their tallies) and the ranking; with `compared` each
    township's comparison blocks and the total's (the county total of the other period: the sum of its tallies)."""
    def of(others: Optional[dict[str, Tally]], t: str, p: Optional[Period]) -> Optional[Tally]:
        return None if others is None or p is None else others.get(t) or Tally(t, p)

    periods = compared_periods(period)
    reports = []
    for t in sorted(tallies):
        mine = None if compared is None else (of(compared[0], t, periods[0]), of(compared[1], t, periods[1]))
        reports.append(render(tallies[t], figures, mine))
    total = None if compared is None else tuple(
        None if others is None or p is None else county_total(others, p) for others, p in zip(compared, periods))
    return {"period": period.text, "townships": reports, "total": render(county_total(tallies, period), figures, total),
            **rank(reports)}


def report_for(facts: dict[str, list[dict]], scope: str, period: Period, figures: int = FIGURES) -> dict[str, Any]:
    """A township's report, or for scope "county" every township's, the total over all, and the ranking (from the same
    facts: in shape 3 with the comparison blocks of the periods compared)."""
    if scope != COUNTY:
        return compute(facts, scope, period, figures)
    grouped = by_township(facts)
    tallies = {t: _tally(f, t, period) for t, f in grouped.items()}
    if figures < 3:
        return county_report(tallies, period, figures)
    compared = tuple(None if p is None else {t: _tally(f, t, p) for t, f in grouped.items()} for p in compared_periods(period))
    return county_report(tallies, period, figures, compared)
