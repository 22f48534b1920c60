"""The reporting service's §3 figures and the units' figures against an independent reference
(tests/support/reference.py).

Streams hold the contract's report events (EnterpriseRegistered, VisitLogged, IssueRaised, IssueClosed) and,
for the lifecycle properties, the issue events beyond v1 as well (routings, 签收, 退回, 协办, 阶段答复, 延期申请/审批,
deadline changes, 回访 and reopenings, findings, units) and EnterpriseChanged (an enterprise moved out,
deregistered, suspended or back: README, "Enterprises that left the list"); built with the contracts package and round-tripped
through encode/parse as a consumer sees them; they are delivered shuffled, with duplicates, into an insert-only
store (first write wins by `_id`), and the report and the per-unit table of every township and of the county,
for months, quarters, halves and years of 2025-2026, must equal the reference's field by field — the visits'
figures (by kind, by channel, 四送, demands told and resolved on the spot) and the comparison blocks (the period before
and the same period a year earlier: the streams span 2025 and 2026, so 2026's periods compare with 2025's data) too.
"""
from __future__ import annotations

import calendar
import math
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Optional

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from contracts import encode, parse
from contracts.envelope import new_event
from contracts.events import (
    Demand,
    EnterpriseChanged,
    EnterpriseRegistered,
    FindingClosed,
    FindingRaised,
    IssueAcknowledged,
    IssueAssigned,
    IssueClosed,
    IssueCoHandlingSet,
    IssueDeadlineChanged,
    IssueExtensionDecided,
    IssueExtensionRequested,
    IssueFollowedUp,
    IssueProgressNoted,
    IssueRaised,
    IssueReopened,
    IssueReturned,
    Official,
    UnitRegistered,
    VisitLogged,
)
from contracts.uscc import is_valid
from tests.support.reference import make_uscc, ref_period, reference_report, reference_units

from reporting import facts as facts_module
from reporting.facts import UNITS, facts_for
from reporting.report import COUNTY, Period, compute, county_total, report_for, tally, units_table

FIELDS = (
    "township", "period", "period_start", "period_end",
    "enterprises_registered", "enterprises_visited", "coverage_rate",
    "visits", "visits_in_person", "county_leader_visits",
    "issues_raised", "issues_closed", "issues_closed_on_time", "on_time_rate",
    "issues_open_at_end", "issues_overdue_at_end", "satisfaction_rate", "by_category",
    # the units' figures
    "issues_resolved", "resolution_rate", "acknowledgements", "acknowledged_on_time",
    "mean_working_days_to_acknowledge", "p90_working_days_to_acknowledge", "mean_working_days_to_close",
    "p90_working_days_to_close", "returns", "findings_raised", "findings_closed",
    # the visits' figures and the comparisons (FIGURES 3)
    "visits_by_kind", "visits_by_channel", "services_delivered", "demands_raised", "demands_resolved_on_spot",
    "on_spot_rate", "previous_period", "same_period_last_year",
)
RATES = ("coverage_rate", "on_time_rate", "satisfaction_rate", "resolution_rate", "mean_working_days_to_acknowledge",
         "mean_working_days_to_close", "on_spot_rate")
BLOCKS = ("previous_period", "same_period_last_year")
COMPARED = ("enterprises_registered", "enterprises_visited", "coverage_rate", "visits", "county_leader_visits",
            "demands_raised", "issues_raised", "issues_closed", "on_time_rate", "resolution_rate", "satisfaction_rate",
            "mean_working_days_to_close")

PERIODS = (
    "2025-01", "2025-02", "2025-03", "2025-06", "2025-07", "2025-12",
    "2026-01", "2026-02", "2026-05", "2026-09", "2026-12",
    "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q4",
    "2025-H1", "2025-H2", "2026-H1", "2026-H2",
    "2025", "2026",
)

# ------------------------------------------------------------------------------------------ fixtures of data

_rng = random.Random(20250101)
USCC_POOL = ["91110000600037341L", "91330782MA2ABCD13A"]
while len(USCC_POOL) < 30:
    code = make_uscc(_rng)
    if code not in USCC_POOL:
        USCC_POOL.append(code)
assert all(is_valid(c) for c in USCC_POOL), [c for c in USCC_POOL if not is_valid(c)]
ENTERPRISES_PER_TOWNSHIP = 8  # township i uses USCC_POOL[8*i : 8*i + 8]: no enterprise is in two townships

OFFICIALS = [
    Official(official_id="c-1", name="王县长", rank="county"),
    Official(official_id="c-2", name="李副县长", rank="county"),
    Official(official_id="tw-1", name="张镇长", rank="township"),
    Official(official_id="k-1", name="刘干部", rank="cadre"),
    Official(official_id="o-1", name="陈同志", rank="other"),
]
ISSUE_CATEGORIES = ["labour", "financing", "land", "approval", "market", "infrastructure", "policy", "other"]
SATISFACTIONS = [None, "very_satisfied", "satisfied", "basically_satisfied", "dissatisfied"]
OFFSETS = [
    timezone(timedelta(hours=8)), timezone.utc, timezone(timedelta(hours=-5)),
    timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)),
]

FIRST, LAST = date(2025, 1, 1), date(2026, 12, 31)
# Dates on and next to month boundaries, where an off-by-one in [S, E] shows.
EDGES = sorted(
    {
        d + timedelta(days=k)
        for y in (2025, 2026)
        for m in range(1, 13)
        for d in (date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1]))
        for k in (-1, 0, 1)
    }
    & {FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)}
)
dates = st.one_of(st.dates(FIRST, LAST), st.sampled_from(EDGES))
# 四送 as a visit lists them: none, some, all, or one listed twice (it counts once)
services_told = st.lists(st.sampled_from(["policy", "warmth", "vitality", "confidence"]), max_size=5)
spans = st.one_of(st.sampled_from([0, 1, 27, 28, 30, 31]), st.integers(0, 120))


# ------------------------------------------------------------------------------------------ building events


def event(payload: Any, township: str, time: datetime, n: int):
    """A CloudEvent exactly as a consumer sees it (encoded, then parsed), and its raw bytes."""
    kind = "visits" if isinstance(payload, (EnterpriseRegistered, VisitLogged)) else "issues"
    built = new_event(payload, township=township, source=f"/townships/{township}/{kind}", time=time,
                      event_id=str(uuid.UUID(int=n + 1)))
    raw = encode(built)
    return parse(raw), raw


def short(ev) -> str:
    d, t = ev.data, ev.time.isoformat()
    if isinstance(d, EnterpriseRegistered):
        body = f"{d.enterprise_id} registered_on={d.registered_on}"
    elif isinstance(d, VisitLogged):
        ranks = ",".join(o.rank.value for o in d.visitors)
        body = f"{d.visit_id} {d.enterprise_id} visited_on={d.visited_on} {d.channel.value} visitors={ranks}"
    elif isinstance(d, EnterpriseChanged):
        body = f"{d.enterprise_id} status={d.status.value} status_on={d.status_on}"
    elif isinstance(d, IssueRaised):
        body = f"{d.issue_id} {d.category.value} raised_on={d.raised_on} deadline={d.deadline}"
    elif isinstance(d, IssueClosed):
        sat = d.satisfaction.value if d.satisfaction else None
        body = (f"{d.issue_id} {d.category.value} raised_on={d.raised_on} deadline={d.deadline} "
                f"closed_on={d.closed_on} satisfaction={sat} outcome={d.outcome.value} unit={d.unit_id} "
                f"wd={d.working_days_to_close}")
    else:
        body = d.model_dump_json(exclude_none=True, exclude={"enterprise_id", "description", "resolution", "note", "reason"})
    return f"{ev.township} {ev.type:<20} {body} time={t} id=..{ev.id[-4:]}"


@dataclass
class Scenario:
    townships: list[str]
    events: list[Any]   # parsed CloudEvents, one per distinct event
    raws: list[bytes]   # their encoded values, what a redelivery carries

    def __repr__(self) -> str:
        return "Scenario(\n  " + "\n  ".join(short(e) for e in self.events) + "\n)"


UNIT_POOL = {"u-a": "甲镇人社所", "u-b": "乙镇综治办", "c-x": "县人社局"}
CARRIED = ["甲镇人社所", "人社所（旧称）", "县人社局", "县某局"]  # names the issue events carry, not always the registry's
FREE_TEXT = ["园小二", "镇企业办"]  # units named in free text only (another system's)
OUTCOMES = ["resolved", "explained", "not_in_scope", "duplicate"]


@st.composite
def unit_choice(draw, required: bool = False):
    """(unit_id, responsible_unit): a registered unit, a free-text one, or (unless required) none."""
    kinds = ["id", "text"] if required else ["id", "id", "text", "none"]
    kind = draw(st.sampled_from(kinds))
    if kind == "id":
        return draw(st.sampled_from(sorted(UNIT_POOL))), draw(st.one_of(st.none(), st.sampled_from(CARRIED)))
    if kind == "text":
        return None, draw(st.sampled_from(FREE_TEXT))
    return None, None


def later_date(draw, after: date) -> date:
    return min(after + timedelta(days=draw(spans)), LAST)


@st.composite
def lifecycle(draw, issue_id: str, eid: Optional[str], category: str, raised_on: date, deadline: date) -> list[Any]:
    """The units' events of one issue or finding, dated anywhere after its raise (the figures need no order)."""
    out: list[Any] = []
    for _ in range(draw(st.integers(0, 2))):  # 派单 / re-routing
        unit_id, name = draw(unit_choice(required=True))
        if unit_id and name is None:
            name = UNIT_POOL[unit_id]
        out.append(IssueAssigned(issue_id=issue_id, enterprise_id=eid, responsible_unit=name, unit_id=unit_id,
                                 assigned_on=later_date(draw, raised_on), reason="改派"))
    for _ in range(draw(st.integers(0, 3))):  # 签收
        unit_id = draw(st.sampled_from(sorted(UNIT_POOL)))
        on = later_date(draw, raised_on)
        out.append(IssueAcknowledged(
            issue_id=issue_id, enterprise_id=eid, unit_id=unit_id, responsible_unit=draw(st.sampled_from(CARRIED)),
            assigned_on=raised_on, acknowledged_on=on, working_days_to_acknowledge=draw(st.integers(0, 12)),
            on_time=draw(st.booleans())))
    for _ in range(draw(st.integers(0, 2))):  # 退回
        out.append(IssueReturned(issue_id=issue_id, enterprise_id=eid, unit_id=draw(st.sampled_from(sorted(UNIT_POOL))),
                                 responsible_unit=draw(st.sampled_from(CARRIED)), returned_on=later_date(draw, raised_on),
                                 reason="不属本单位职责", suggested_unit_id=draw(st.sampled_from([None, "c-x"]))))
    if draw(st.booleans()):  # 协办 and 阶段答复: accepted, and they change no figure
        on = later_date(draw, raised_on)
        out.append(IssueCoHandlingSet(issue_id=issue_id, enterprise_id=eid, lead_unit_id="u-a", co_unit_ids=["c-x"], set_on=on))
        out.append(IssueProgressNoted(issue_id=issue_id, enterprise_id=eid, unit_id="c-x", noted_on=on, note="已完成", part_done=True))
    if draw(st.booleans()):  # 延期申请 / 审批, and the deadline change an approval brings
        on, wanted = later_date(draw, raised_on), deadline + timedelta(days=draw(st.integers(1, 40)))
        approved = draw(st.booleans())
        out.append(IssueExtensionRequested(issue_id=issue_id, enterprise_id=eid, request_id=f"{issue_id}-x", unit_id="u-a",
                                           deadline=deadline, requested_deadline=wanted, requested_on=on, reason="需协调"))
        out.append(IssueExtensionDecided(issue_id=issue_id, enterprise_id=eid, request_id=f"{issue_id}-x", approved=approved,
                                         decided_on=on, deadline=wanted if approved else deadline))
        if approved:
            out.append(IssueDeadlineChanged(issue_id=issue_id, enterprise_id=eid, deadline=wanted, previous_deadline=deadline,
                                            changed_on=draw(st.sampled_from([on, later_date(draw, raised_on)])), reason="批准延期"))
    for _ in range(draw(st.integers(0, 2))):  # 回访, a dissatisfied one often reopens
        on = later_date(draw, raised_on)
        satisfaction = draw(st.sampled_from(SATISFACTIONS[1:]))
        out.append(IssueFollowedUp(issue_id=issue_id, enterprise_id=eid, followed_up_on=on, satisfaction=satisfaction,
                                   unit_id=draw(st.sampled_from([None, "u-a"]))))
        if satisfaction == "dissatisfied" and draw(st.booleans()):
            out.append(IssueReopened(issue_id=issue_id, enterprise_id=eid, category=category, reopened_on=on, reason="回访不满意",
                                     deadline=later_date(draw, on)))
    return out


@st.composite
def scenarios(draw, with_lifecycle: bool = False) -> Scenario:
    townships = [f"t{i + 1}" for i in range(draw(st.integers(1, 3)))]
    payloads: list[tuple[str, Any]] = []
    near: dict[int, int] = {}  # index of a second close -> index of the first close of the same issue
    for ti, t in enumerate(townships):
        pool = USCC_POOL[ENTERPRISES_PER_TOWNSHIP * ti: ENTERPRISES_PER_TOWNSHIP * (ti + 1)]
        enterprises = pool[: draw(st.integers(1, 4))]
        for eid in enterprises:
            # 0 registrations (visited but never registered), 1, or 2 with possibly different dates.
            for on in draw(st.lists(dates, max_size=2)):
                payloads.append((t, EnterpriseRegistered(
                    enterprise_id=eid, name="测试企业", category="industry", registered_on=on,
                    park=None, assigned_officials=[])))
            # 0, 1 or 2 status changes (moved out and back, deregistered, suspended), sometimes on the same day.
            status_days: list[date] = []
            for _ in range(draw(st.integers(0, 2))):
                on = draw(st.sampled_from(status_days)) if status_days and draw(st.booleans()) else draw(dates)
                status_days.append(on)
                payloads.append((t, EnterpriseChanged(
                    enterprise_id=eid, name="测试企业", park=None, status_on=on, changed_on=on,
                    status=draw(st.sampled_from(["active", "suspended", "moved_out", "deregistered"])))))
        for vi in range(draw(st.integers(0, 6))):
            visitors = draw(st.lists(st.sampled_from(OFFICIALS), min_size=1, max_size=3, unique_by=lambda o: o.official_id))
            payloads.append((t, VisitLogged(
                visit_id=f"v-{t}-{vi}", enterprise_id=draw(st.sampled_from(enterprises)), visited_on=draw(dates),
                channel=draw(st.sampled_from(["in_person", "phone", "remote"])),
                kind=draw(st.sampled_from(["routine", "visit_day", "walkthrough", "joint"])),
                visitors=visitors, services=draw(services_told), summary="",
                demands=[Demand(demand_id=f"d-{t}-{vi}-{di}", category=draw(st.sampled_from(ISSUE_CATEGORIES)),
                                description="缺工", resolved_on_spot=draw(st.booleans()))
                         for di in range(draw(st.integers(0, 3)))])))
        for ii in range(draw(st.integers(0, 6))):
            issue_id, eid = f"i-{t}-{ii}", draw(st.sampled_from(enterprises))
            category = draw(st.sampled_from(ISSUE_CATEGORIES))
            raised_on = draw(dates)
            deadline = raised_on + timedelta(days=draw(spans))
            n_closes = draw(st.integers(0, 2))
            has_raise = True if n_closes == 0 else draw(st.sampled_from([True, True, False]))
            unit_id, unit_name = draw(unit_choice()) if with_lifecycle else (None, None)
            if has_raise:
                payloads.append((t, IssueRaised(
                    issue_id=issue_id, enterprise_id=eid, source="visit", visit_id=None, category=category,
                    description="用工缺口", responsible_unit=unit_name, raised_on=raised_on, deadline=deadline, unit_id=unit_id)))
            first_close_on: Optional[date] = None
            close_deadline = deadline
            for ci in range(n_closes):
                if ci == 1 and draw(st.booleans()):
                    closed_on = first_close_on  # a tie on closed_on: `time` decides
                else:
                    closed_on = raised_on + timedelta(days=draw(spans))
                if draw(st.booleans()):
                    close_deadline = close_deadline + timedelta(days=draw(st.integers(1, 40)))  # extended
                extra = {}
                if with_lifecycle:
                    extra = {"unit_id": draw(st.sampled_from([None, *sorted(UNIT_POOL)])),
                             "working_days_to_close": draw(st.one_of(st.none(), st.integers(0, 30)))}
                payloads.append((t, IssueClosed(
                    issue_id=issue_id, enterprise_id=eid, category=category, raised_on=raised_on,
                    deadline=close_deadline, closed_on=closed_on,
                    outcome=draw(st.sampled_from(OUTCOMES)),
                    resolution="已协调", satisfaction=draw(st.sampled_from(SATISFACTIONS)), **extra)))
                if ci == 0:
                    first_close_on = closed_on
                    first_index = len(payloads) - 1
                else:
                    near[len(payloads) - 1] = first_index
            if with_lifecycle:
                payloads += [(t, p) for p in draw(lifecycle(issue_id, eid, category, raised_on, deadline))]
        if with_lifecycle:
            payloads += draw(findings_of_township(t))
    if with_lifecycle:
        for unit_id in sorted(UNIT_POOL):  # registered 0, 1 or 2 times (a rename), by the county or a township
            for name in draw(st.lists(st.sampled_from([UNIT_POOL[unit_id], unit_id + "（新名）"]), max_size=2)):
                payloads.append((draw(st.sampled_from([*townships, "county"])), UnitRegistered(
                    unit_id=unit_id, name=name, kind="county_department" if unit_id.startswith("c-") else "township_office")))

    # Distinct `time`s, in an order unrelated to the order of generation, in assorted offsets. A second close
    # is often within hours of the first, so that comparing local clock text instead of instants would show.
    n = len(payloads)
    ranks = draw(st.permutations(range(n)))
    base = datetime(2025, 1, 1, tzinfo=timezone.utc)
    jitter = st.sampled_from([0, 1, 250_000, 999_999])
    instants = [base + timedelta(minutes=97 * ranks[i], microseconds=draw(jitter)) for i in range(n)]
    for second, first in near.items():
        if draw(st.booleans()):
            hours = draw(st.integers(-13, 13).filter(lambda h: h != 0))
            instants[second] = instants[first] + timedelta(hours=hours, seconds=7, microseconds=draw(jitter))
    assume(len(set(instants)) == n)
    built = [event(p, t, instants[i].astimezone(draw(st.sampled_from(OFFSETS))), i) for i, (t, p) in enumerate(payloads)]
    return Scenario(townships, [e for e, _ in built], [r for _, r in built])


@st.composite
def findings_of_township(draw, t: str) -> list[tuple[str, Any]]:
    """Findings (一把手走流程, 督查): their raise, 0-2 closes (either may be missing), and their lifecycle."""
    out: list[tuple[str, Any]] = []
    for fi in range(draw(st.integers(0, 3))):
        issue_id, category = f"f-{t}-{fi}", draw(st.sampled_from(ISSUE_CATEGORIES))
        raised_on = draw(dates)
        deadline = raised_on + timedelta(days=draw(spans))
        n_closes = draw(st.integers(0, 2))
        unit_id, name = draw(unit_choice())
        if n_closes == 0 or draw(st.booleans()):
            out.append((t, FindingRaised(issue_id=issue_id, found_by="walkthrough", subject_kind="procedure",
                                         subject_name="企业开办", category=category, description="需跑两次窗口",
                                         responsible_unit=name, unit_id=unit_id, raised_on=raised_on, deadline=deadline)))
        for _ in range(n_closes):
            out.append((t, FindingClosed(issue_id=issue_id, subject_name="企业开办", category=category, raised_on=raised_on,
                                         deadline=deadline, closed_on=raised_on + timedelta(days=draw(spans)),
                                         outcome=draw(st.sampled_from(OUTCOMES)), resolution="已整改",
                                         unit_id=draw(st.sampled_from([None, "c-x"])),
                                         working_days_to_close=draw(st.one_of(st.none(), st.integers(0, 30))))))
        out += [(t, p) for p in draw(lifecycle(issue_id, None, category, raised_on, deadline))]
    return out


@st.composite
def deliveries(draw, scenario: Scenario) -> list[Any]:
    """Each event once, twice or three times (each copy parsed from the bytes afresh), in a shuffled order."""
    copies = [raw for raw in scenario.raws for _ in range(draw(st.integers(1, 3)))]
    return [parse(raw) for raw in draw(st.permutations(copies))]


# ------------------------------------------------------------------------------------------ the store and checks


def stored_facts(delivered: list[Any]) -> dict[str, list[dict]]:
    """Insert-only, first write wins by `_id`; handed over as the service's Store.facts does (without `_id`)."""
    db: dict[str, dict[str, dict]] = {name: {} for name in getattr(facts_module, "COLLECTIONS", ())}
    for ev in delivered:
        for collection, doc in facts_for(ev):
            db.setdefault(collection, {}).setdefault(doc["_id"], doc)
    return {name: [{k: v for k, v in d.items() if k != "_id"} for d in docs.values()] for name, docs in db.items()}


def nonzero(by_category: dict) -> dict:
    return {c: dict(v) for c, v in by_category.items() if any(v.get(k) for k in ("raised", "closed", "open_at_end"))}


def same_value(f: str, g: Any, w: Any) -> bool:
    if f in RATES:
        return (g is None and w is None) or (
            isinstance(g, (int, float)) and w is not None and math.isclose(g, w, rel_tol=0, abs_tol=1e-9))
    return g == w and type(g) is type(w)


def mismatches(got: dict, want: dict) -> list[str]:
    out = []
    if set(got) != set(FIELDS):
        out.append(f"fields: missing {sorted(set(FIELDS) - set(got))}, extra {sorted(set(got) - set(FIELDS))}")
    for f in FIELDS:
        g, w = got.get(f, "<absent>"), want[f]
        if f in BLOCKS:
            if g is None or w is None or not isinstance(g, dict):
                ok = g is None and w is None
            else:
                ok = set(g) == {"period", *COMPARED} and g["period"] == w["period"] and all(
                    same_value(k, g[k], w[k]) for k in COMPARED)
        elif f in RATES:
            ok = same_value(f, g, w)
        elif f == "by_category":
            ok = isinstance(g, dict) and nonzero(g) == w
            g = nonzero(g) if isinstance(g, dict) else g
        else:
            ok = g == w and type(g) is type(w)
        if not ok:
            out.append(f"{f}: service {g!r} != reference {w!r}")
    return out


def check_all(facts: dict[str, list[dict]], scenario: Scenario, units: bool = False) -> None:
    problems, memo = [], {}
    for text in PERIODS:
        period, ref = Period.parse(text), ref_period(text)
        for township in [*scenario.townships, None]:
            got = compute(facts, township, period)
            want = reference_report(scenario.events, township, ref, memo=memo)
            problems += [f"[{township or 'county'} {text}] {m}" for m in mismatches(got, want)]
        # The county report's total is the sum of the townships' tallies: it must equal the total over all events.
        county = report_for(facts, COUNTY, period)
        problems += [f"[county report total {text}] {m}" for m in mismatches(county["total"], reference_report(scenario.events, None, ref, memo=memo))]
        # ... and each of its township rows is that township's report, comparison blocks included
        for row in county["townships"]:
            want = reference_report(scenario.events, row["township"], ref, memo=memo)
            problems += [f"[county report row {row['township']} {text}] {m}" for m in mismatches(row, want)]
        # a unit registered by "county" (or by a township with nothing else) makes no township of its own
        extra = {r["township"] for r in county["townships"]} - set(scenario.townships)
        problems += [f"[county report {text}] townships not in the stream: {sorted(extra)}"] if extra else []
        if units:
            registry = facts.get(UNITS, [])
            tallies = {t: tally(facts, t, period) for t in scenario.townships}
            for township in [*scenario.townships, None]:
                got = units_table(tallies[township] if township else county_total(tallies, period), registry)
                want = reference_units(scenario.events, township, ref)
                if got != want:
                    problems.append(f"[units {township or 'county'} {text}] service {got} != reference {want}")
    assert not problems, "\n".join(problems[:30]) + f"\n({len(problems)} mismatches)"


PROPERTY = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ------------------------------------------------------------------------------------------ properties


@PROPERTY
@given(st.data())
def test_the_report_equals_the_reference_for_every_township_county_and_period(data):
    scenario = data.draw(scenarios(), label="scenario")
    delivered = data.draw(deliveries(scenario), label="delivery")
    check_all(stored_facts(delivered), scenario)


@PROPERTY
@given(st.data())
def test_with_the_units_events_the_report_and_the_unit_table_equal_the_reference(data):
    scenario = data.draw(scenarios(with_lifecycle=True), label="scenario")
    delivered = data.draw(deliveries(scenario), label="delivery")
    check_all(stored_facts(delivered), scenario, units=True)


@settings(PROPERTY, max_examples=30)
@given(st.data())
def test_the_units_figures_do_not_depend_on_delivery_order_or_duplicates(data):
    scenario = data.draw(scenarios(with_lifecycle=True), label="scenario")
    one = stored_facts(data.draw(deliveries(scenario), label="first delivery"))
    other = stored_facts(data.draw(deliveries(scenario), label="second delivery"))
    for text in PERIODS:
        period = Period.parse(text)
        for township in scenario.townships:
            a = (compute(one, township, period), units_table(tally(one, township, period), one.get(UNITS, [])))
            b = (compute(other, township, period), units_table(tally(other, township, period), other.get(UNITS, [])))
            assert a == b, f"[{township} {text}] first delivery {a} != second delivery {b}"


@settings(PROPERTY, max_examples=30)
@given(st.data())
def test_the_report_does_not_depend_on_delivery_order_or_duplicates(data):
    scenario = data.draw(scenarios(), label="scenario")
    one = stored_facts(data.draw(deliveries(scenario), label="first delivery"))
    other = stored_facts(data.draw(deliveries(scenario), label="second delivery"))
    for text in PERIODS:
        period = Period.parse(text)
        for township in [*scenario.townships, None]:
            a, b = compute(one, township, period), compute(other, township, period)
            assert a == b, f"[{township or 'county'} {text}] first delivery {a} != second delivery {b}"


# ------------------------------------------------------------------------------------------ periods


@pytest.mark.parametrize(
    "text, start, end",
    [
        ("2025-01", date(2025, 1, 1), date(2025, 1, 31)),
        ("2025-02", date(2025, 2, 1), date(2025, 2, 28)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
        ("2025-Q1", date(2025, 1, 1), date(2025, 3, 31)),
        ("2025-Q2", date(2025, 4, 1), date(2025, 6, 30)),
        ("2025-Q3", date(2025, 7, 1), date(2025, 9, 30)),
        ("2025-Q4", date(2025, 10, 1), date(2025, 12, 31)),
        ("2026-H1", date(2026, 1, 1), date(2026, 6, 30)),
        ("2026-H2", date(2026, 7, 1), date(2026, 12, 31)),
        ("2025", date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_a_period_parses_to_its_first_and_last_day(text, start, end):
    p = Period.parse(text)
    assert (p.text, p.start, p.end) == (text, start, end)


@pytest.mark.parametrize("text", ["9999", "9999-H2", "9999-Q4", "9999-12"])
def test_a_period_ending_on_the_last_day_of_year_9999_is_still_a_period(text):
    # YYYY is any four digits; the period's end is 9999-12-31, a representable date.
    p = Period.parse(text)
    assert (p.start.year, p.end) == (9999, date(9999, 12, 31))


@pytest.mark.parametrize(
    "text",
    ["", "2025-13", "2025-00", "2025-1", "2025-Q0", "2025-Q5", "2025-q1", "2025-H0", "2025-H3", "2025-h1",
     "25", "20250", "2025-01-01", "2025-W01", "2025-Q1x", " 2025", "2025 ", "2025/01", "2025-M01",
     "2025\n", "2025-03\n", "２０２５", "2025-０３"],
)
def test_anything_else_is_not_a_period(text):
    with pytest.raises(ValueError):
        Period.parse(text)


@settings(max_examples=300, deadline=None, database=None)
@given(st.one_of(
    st.from_regex(r"\A[0-9]{4}(-(0[0-9]|1[0-9]|Q[0-9]|H[0-9]))?\Z"),
    st.text(alphabet="0123456789-QHqh \n", max_size=9),
))
def test_period_parse_agrees_with_the_reference(text):
    try:
        want = ref_period(text)
    except ValueError:
        with pytest.raises(ValueError):
            Period.parse(text)
        return
    got = Period.parse(text)
    assert (got.text, got.start, got.end) == (want.text, want.start, want.end)


# ------------------------------------------------------------------------------------------ worked examples

A, B = USCC_POOL[0], USCC_POOL[1]


class Stream:
    """Events written by hand, numbered in the order written; `deliver` takes them in any order."""

    def __init__(self):
        self.events: list[Any] = []

    def add(self, payload: Any, time: str, township: str = "t1") -> "Stream":
        ev, _ = event(payload, township, datetime.fromisoformat(time), len(self.events))
        self.events.append(ev)
        return self

    def report(self, text: str, township: Optional[str] = "t1", order: Optional[list[int]] = None) -> dict:
        delivered = [self.events[i] for i in order] if order is not None else self.events
        got = compute(stored_facts(delivered), township, Period.parse(text))
        problems = mismatches(got, reference_report(self.events, township, ref_period(text)))
        assert not problems, "service and reference disagree:\n" + "\n".join(problems)
        return got


def registered(eid: str, on: str) -> EnterpriseRegistered:
    return EnterpriseRegistered(enterprise_id=eid, name="测试企业", category="industry",
                                registered_on=date.fromisoformat(on), park=None, assigned_officials=[])


def visit(visit_id: str, eid: str, on: str, channel: str = "in_person", ranks: tuple[str, ...] = ("township",)):
    officials = {o.rank.value: o for o in OFFICIALS}
    return VisitLogged(visit_id=visit_id, enterprise_id=eid, visited_on=date.fromisoformat(on), channel=channel,
                       kind="routine", visitors=[officials[r] for r in ranks], services=[], summary="", demands=[])


def raised(issue_id: str, on: str, deadline: str, category: str = "labour", eid: str = A) -> IssueRaised:
    return IssueRaised(issue_id=issue_id, enterprise_id=eid, source="visit", visit_id=None, category=category,
                       description="", responsible_unit=None, raised_on=date.fromisoformat(on),
                       deadline=date.fromisoformat(deadline))


def closed(issue_id: str, raised_on: str, deadline: str, on: str, satisfaction: Optional[str] = "satisfied",
           category: str = "labour", eid: str = A) -> IssueClosed:
    return IssueClosed(issue_id=issue_id, enterprise_id=eid, category=category,
                       raised_on=date.fromisoformat(raised_on), deadline=date.fromisoformat(deadline),
                       closed_on=date.fromisoformat(on), outcome="resolved", resolution="",
                       satisfaction=satisfaction)


def test_an_issueclosed_delivered_before_its_issueraised_counts_the_issue_once():
    s = (Stream()
         .add(raised("i-1", "2025-03-03", "2025-03-10"), "2025-03-03T09:00:00+08:00")
         .add(closed("i-1", "2025-03-03", "2025-03-20", "2025-03-15"), "2025-03-15T09:00:00+08:00"))
    for order in ([1, 0], [1, 1, 0, 1], [0, 1]):
        r = s.report("2025-03", order=order)
        assert (r["issues_raised"], r["issues_closed"], r["issues_open_at_end"]) == (1, 1, 0)
        # on time against the deadline in force at closure (extended to 03-20), not the raise's 03-10
        assert (r["issues_closed_on_time"], r["on_time_rate"]) == (1, 1.0)
        assert r["satisfaction_rate"] == 1.0
        assert r["by_category"] == {"labour": {"raised": 1, "closed": 1, "open_at_end": 0}}


def test_an_issue_known_only_from_its_close_counts_as_raised_and_uses_the_close_deadline():
    s = Stream().add(closed("i-1", "2025-01-20", "2025-01-25", "2025-02-10", satisfaction="dissatisfied"),
                     "2025-02-10T12:00:00+08:00")
    jan = s.report("2025-01")
    assert (jan["issues_raised"], jan["issues_closed"], jan["issues_open_at_end"], jan["issues_overdue_at_end"]) \
        == (1, 0, 1, 1)  # deadline 01-25 < 01-31
    feb = s.report("2025-02")
    assert (feb["issues_raised"], feb["issues_closed"], feb["issues_closed_on_time"]) == (0, 1, 0)
    assert feb["on_time_rate"] == 0.0 and feb["satisfaction_rate"] == 0.0
    assert feb["by_category"] == {"labour": {"raised": 0, "closed": 1, "open_at_end": 0}}


def test_closed_reopened_and_closed_again_counts_only_the_latest_close():
    s = (Stream()
         .add(raised("i-1", "2025-03-03", "2025-03-20"), "2025-03-03T09:00:00+08:00")
         .add(closed("i-1", "2025-03-03", "2025-03-20", "2025-03-10", satisfaction="dissatisfied"),
              "2025-03-10T09:00:00+08:00")
         .add(closed("i-1", "2025-03-03", "2025-04-30", "2025-05-06", satisfaction="very_satisfied"),
              "2025-05-06T09:00:00+08:00"))
    for order in ([0, 1, 2], [2, 1, 0], [2, 0, 1, 2]):
        mar = s.report("2025-03", order=order)
        # the March close is superseded: in March the issue is open at the end, and overdue (03-20 < 03-31)
        assert (mar["issues_raised"], mar["issues_closed"], mar["satisfaction_rate"]) == (1, 0, None)
        assert (mar["issues_open_at_end"], mar["issues_overdue_at_end"]) == (1, 1)
        may = s.report("2025-05", order=order)
        assert (may["issues_closed"], may["issues_closed_on_time"], may["satisfaction_rate"]) == (1, 0, 1.0)
        q1 = s.report("2025-Q1", order=order)
        assert (q1["issues_closed"], q1["issues_open_at_end"]) == (0, 1)
        h1 = s.report("2025-H1", order=order)
        assert (h1["issues_raised"], h1["issues_closed"], h1["issues_open_at_end"]) == (1, 1, 0)


def test_two_closes_on_the_same_day_the_later_time_counts_as_an_instant_not_as_clock_text():
    # 09:00+08:00 is 01:00Z, 02:00Z is later although its clock text is earlier
    s = (Stream()
         .add(raised("i-1", "2025-06-02", "2025-06-10"), "2025-06-02T09:00:00+08:00")
         .add(closed("i-1", "2025-06-02", "2025-06-10", "2025-06-12", satisfaction="satisfied"),
              "2025-06-12T09:00:00+08:00")
         .add(closed("i-1", "2025-06-02", "2025-06-30", "2025-06-12", satisfaction="dissatisfied"),
              "2025-06-12T02:00:00+00:00"))
    for order in ([0, 1, 2], [0, 2, 1]):
        r = s.report("2025-06", order=order)
        assert (r["issues_closed"], r["issues_closed_on_time"], r["satisfaction_rate"]) == (1, 1, 0.0)


def test_a_visit_before_its_enterprises_registration_arrives_and_the_earliest_registration_counts():
    s = (Stream()
         .add(visit("v-1", A, "2025-04-08", ranks=("county", "cadre")), "2025-04-08T10:00:00+08:00")
         .add(registered(A, "2025-05-01"), "2025-05-01T10:00:00+08:00")
         .add(registered(A, "2025-04-15"), "2025-04-15T10:00:00+08:00")
         .add(visit("v-2", B, "2025-04-09", channel="phone"), "2025-04-09T10:00:00+08:00"))  # B never registered
    for order in ([0, 1, 2, 3], [3, 2, 1, 0], [0, 0, 3, 1, 2, 2]):
        apr = s.report("2025-04", order=order)
        # A is listed from 04-15 (its earliest registration), so its 04-08 visit covers April
        assert (apr["enterprises_registered"], apr["enterprises_visited"], apr["coverage_rate"]) == (1, 1, 1.0)
        assert (apr["visits"], apr["visits_in_person"], apr["county_leader_visits"]) == (2, 1, 1)
        mar = s.report("2025-03", order=order)
        assert (mar["enterprises_registered"], mar["coverage_rate"], mar["visits"]) == (0, None, 0)
        county = s.report("2025-Q2", township=None, order=order)
        assert (county["township"], county["enterprises_registered"], county["enterprises_visited"]) == ("county", 1, 1)


def test_the_county_total_is_over_all_events_not_an_average_of_rates():
    s = (Stream()
         .add(registered(A, "2025-01-01"), "2025-01-01T10:00:00+08:00")
         .add(visit("v-1", A, "2025-02-03"), "2025-02-03T10:00:00+08:00")
         .add(registered(USCC_POOL[8], "2025-01-01"), "2025-01-01T11:00:00+08:00", township="t2")
         .add(registered(USCC_POOL[9], "2025-01-01"), "2025-01-01T12:00:00+08:00", township="t2")
         .add(registered(USCC_POOL[10], "2025-01-01"), "2025-01-01T13:00:00+08:00", township="t2"))
    assert s.report("2025-02", township="t1")["coverage_rate"] == 1.0
    assert s.report("2025-02", township="t2")["coverage_rate"] == 0.0
    county = s.report("2025-02", township=None)
    assert (county["enterprises_registered"], county["enterprises_visited"]) == (4, 1)
    assert county["coverage_rate"] == pytest.approx(0.25, abs=1e-9)


# ------------------------------------------------------------------------------------------ the units' figures, by hand

U, C = "u-a", "c-x"


def units_of(s: Stream, text: str, township: Optional[str] = "t1") -> list[dict]:
    """The per-unit table, checked against the reference as `Stream.report` checks the report."""
    facts = stored_facts(s.events)
    period = Period.parse(text)
    tallies = {t: tally(facts, t, period) for t in {e.township for e in s.events if e.type != "UnitRegistered"}}
    got = units_table(tallies[township] if township else county_total(tallies, period), facts.get(UNITS, []))
    assert got == reference_units(s.events, township, ref_period(text)), "service and reference disagree"
    return got


def ack(issue_id: str, unit: str, on: str, days: int, on_time: bool = True, eid: Optional[str] = A) -> IssueAcknowledged:
    return IssueAcknowledged(issue_id=issue_id, enterprise_id=eid, unit_id=unit, responsible_unit="某单位",
                             assigned_on=date.fromisoformat(on), acknowledged_on=date.fromisoformat(on),
                             working_days_to_acknowledge=days, on_time=on_time)


def test_p90_is_the_nearest_rank_and_the_county_takes_it_over_all_townships_values():
    s = Stream().add(raised("i-1", "2025-03-03", "2025-03-20"), "2025-03-03T09:00:00+08:00")
    for n, days in enumerate([0, 1, 1, 2, 2, 3, 3, 4, 9]):  # 9 values: rank ⌈8.1⌉ = 9 → 9
        s.add(ack("i-1", U, "2025-03-04", days), f"2025-03-04T09:{n:02d}:00+08:00")
    r = s.report("2025-03")
    assert (r["acknowledgements"], r["p90_working_days_to_acknowledge"]) == (9, 9)
    assert r["mean_working_days_to_acknowledge"] == pytest.approx(25 / 9)
    s.add(raised("i-2", "2025-03-03", "2025-03-20", eid=USCC_POOL[8]), "2025-03-03T10:00:00+08:00", township="t2")
    s.add(ack("i-2", U, "2025-03-05", 0, eid=USCC_POOL[8]), "2025-03-05T10:00:00+08:00", township="t2")
    county = s.report("2025-03", township=None)  # 10 values: rank 9 → 4, not the mean of the townships' p90s
    assert (county["acknowledgements"], county["p90_working_days_to_acknowledge"]) == (10, 4)
    assert county["mean_working_days_to_acknowledge"] == pytest.approx(2.5)


def test_a_reopened_issue_is_closed_by_its_close_after_the_reopening_and_only_a_later_follow_up_rates_it():
    s = (Stream()
         .add(IssueRaised(issue_id="i-1", enterprise_id=A, source="visit", category="labour", description="",
                          responsible_unit="镇人社所", unit_id=U, raised_on=date(2025, 3, 3), deadline=date(2025, 3, 20)),
              "2025-03-03T09:00:00+08:00")
         .add(IssueAssigned(issue_id="i-1", enterprise_id=A, responsible_unit="镇人社所", unit_id=U,
                            assigned_on=date(2025, 3, 3)), "2025-03-03T09:01:00+08:00")  # the same routing again
         .add(closed("i-1", "2025-03-03", "2025-03-20", "2025-03-10", satisfaction=None), "2025-03-10T09:00:00+08:00")
         .add(IssueFollowedUp(issue_id="i-1", enterprise_id=A, followed_up_on=date(2025, 3, 11), satisfaction="dissatisfied"),
              "2025-03-11T09:00:00+08:00")
         .add(IssueReopened(issue_id="i-1", enterprise_id=A, category="labour", reopened_on=date(2025, 3, 11),
                            reason="回访不满意", deadline=date(2025, 4, 8)), "2025-03-11T09:01:00+08:00"))
    mar = s.report("2025-03")
    assert (mar["issues_closed"], mar["issues_open_at_end"], mar["issues_overdue_at_end"]) == (0, 1, 0)  # 04-08 in force
    assert units_of(s, "2025-03") == [{"unit_id": U, "name": "镇人社所", "received": 1, "acknowledged": 0,
                                       "acknowledged_on_time": 0, "closed": 0, "closed_on_time": 0, "resolved": 0,
                                       "returned": 0, "followed_up": 0, "satisfied": 0}]
    s.add(closed("i-1", "2025-03-03", "2025-04-08", "2025-04-02", satisfaction=None), "2025-04-02T09:00:00+08:00")
    apr = units_of(s, "2025-04")  # the close has no unit_id (v1): its unit is the last routing's
    assert [(r["unit_id"], r["closed"], r["closed_on_time"], r["followed_up"], r["satisfied"]) for r in apr] == [(U, 1, 1, 0, 0)]
    s.add(IssueFollowedUp(issue_id="i-1", enterprise_id=A, followed_up_on=date(2025, 4, 9), satisfaction="satisfied"),
          "2025-04-09T09:00:00+08:00")
    s.add(UnitRegistered(unit_id=U, name="大程镇人社所", kind="township_office"), "2025-01-01T09:00:00+08:00", township="county")
    apr = units_of(s, "2025-04")
    assert [(r["name"], r["closed"], r["followed_up"], r["satisfied"]) for r in apr] == [("大程镇人社所", 1, 1, 1)]
    assert s.report("2025-04")["satisfaction_rate"] is None  # §3's stays the close's
    assert compute(stored_facts(s.events), "county", Period.parse("2025-04"))["issues_raised"] == 0  # no "county" township
    assert [r["township"] for r in report_for(stored_facts(s.events), COUNTY, Period.parse("2025-04"))["townships"]] == ["t1"]


def test_findings_count_apart_from_the_issues_and_in_their_units_rows():
    s = (Stream()
         .add(FindingRaised(issue_id="f-1", found_by="inspection", subject_kind="unit", subject_name="县政务大厅",
                            category="approval", description="窗口推诿", unit_id=C, raised_on=date(2025, 5, 6),
                            deadline=date(2025, 5, 20)), "2025-05-06T09:00:00+08:00")
         .add(ack("f-1", C, "2025-05-07", 1, eid=None), "2025-05-07T09:00:00+08:00")
         .add(FindingClosed(issue_id="f-1", subject_name="县政务大厅", category="approval", raised_on=date(2025, 5, 6),
                            deadline=date(2025, 5, 20), closed_on=date(2025, 5, 21), outcome="resolved", resolution="已整改",
                            unit_id=C, working_days_to_close=11), "2025-05-21T09:00:00+08:00"))
    r = s.report("2025-05")
    assert (r["issues_raised"], r["issues_closed"], r["acknowledgements"], r["mean_working_days_to_close"]) == (0, 0, 0, None)
    assert (r["findings_raised"], r["findings_closed"]) == (1, 1)
    assert [(u["unit_id"], u["received"], u["acknowledged"], u["closed"], u["closed_on_time"], u["resolved"])
            for u in units_of(s, "2025-05")] == [(C, 1, 1, 1, 0, 1)]
# ------------------------------------------------------------------------------------------ scorecards (考评)

from contracts.events import AssignmentEnded, AssignmentStarted  # noqa: E402
from reporting.scorecards import officials as scorecard_officials  # noqa: E402
from tests.support.reference import reference_scorecards  # noqa: E402

CARD_FIELDS = ("visits_led", "visits_joined", "assigned_visits", "assigned_enterprises", "assigned_enterprise_days",
               "assigned_enterprises_visited", "coverage_rate", "quota_due", "quota_met", "attainment_rate")
CARD_PERIODS = ("2025-02", "2025-Q1", "2025-Q2", "2025-H1", "2025", "2026-Q1")
QUARTER = date(2025, 1, 1), date(2025, 6, 30)  # assignments move within the first half of 2025
quarter_dates = st.one_of(st.dates(*QUARTER), st.sampled_from([d for d in EDGES if QUARTER[0] <= d <= QUARTER[1]]))
quotas_drawn = st.fixed_dictionaries({
    "county": st.one_of(st.none(), st.builds(lambda n, every: {"visits": n, "every": every},
                                             st.integers(1, 2), st.sampled_from(["month", "quarter", "year"]))),
    "township": st.one_of(st.none(), st.just({"visits": 1, "every": "month"})),
})


@st.composite
def assignment_scenarios(draw):
    townships = [f"t{i + 1}" for i in range(draw(st.integers(1, 2)))]
    payloads: list[tuple[str, Any]] = []
    for ti, t in enumerate(townships):
        enterprises = USCC_POOL[ENTERPRISES_PER_TOWNSHIP * ti: ENTERPRISES_PER_TOWNSHIP * ti + draw(st.integers(1, 3))]
        for eid in enterprises:
            for on in draw(st.lists(quarter_dates, max_size=2)):
                assigned = draw(st.lists(st.sampled_from(OFFICIALS[:3]), max_size=2, unique_by=lambda o: o.official_id))
                payloads.append((t, EnterpriseRegistered(enterprise_id=eid, name="测试企业", category="industry",
                                                         registered_on=on, park=None, assigned_officials=assigned)))
            for _ in range(draw(st.integers(0, 4))):  # reassignments: starts and ends, in any order of days
                official = draw(st.sampled_from(OFFICIALS[:3]))
                if draw(st.booleans()):
                    payloads.append((t, AssignmentStarted(enterprise_id=eid, official=official, started_on=draw(quarter_dates))))
                else:
                    payloads.append((t, AssignmentEnded(enterprise_id=eid, official_id=official.official_id,
                                                        ended_on=draw(quarter_dates), reason="调整")))
        for vi in range(draw(st.integers(0, 8))):
            visitors = draw(st.lists(st.sampled_from(OFFICIALS), min_size=1, max_size=3, unique_by=lambda o: o.official_id))
            payloads.append((t, VisitLogged(
                visit_id=f"v-{t}-{vi}", enterprise_id=draw(st.sampled_from(enterprises)), visited_on=draw(quarter_dates),
                channel="in_person", kind="routine", visitors=visitors, services=[], summary="", demands=[])))
    base = datetime(2025, 1, 1, tzinfo=timezone.utc)
    built = [event(p, t, base + timedelta(minutes=i), i) for i, (t, p) in enumerate(payloads)]
    return Scenario(townships, [e for e, _ in built], [r for _, r in built])


def card_mismatches(got: list[dict], want: dict) -> list[str]:
    mine = {(c["township"], c["official_id"]): c for c in got}
    out = [f"cards: service {sorted(mine)} != reference {sorted(want)}"] if set(mine) != set(want) else []
    for k in set(mine) & set(want):
        for f in CARD_FIELDS:
            g, w = mine[k].get(f, "<absent>"), want[k][f]
            same = (g is None and w is None) or (g is not None and w is not None and math.isclose(g, w, abs_tol=1e-9))
            if not same:
                out.append(f"{k} {f}: service {g!r} != reference {w!r}")
    return out


@settings(PROPERTY, max_examples=60)
@given(st.data())
def test_the_officials_scorecards_equal_the_day_by_day_reference(data):
    scenario = data.draw(assignment_scenarios(), label="scenario")
    quotas = data.draw(quotas_drawn, label="quotas")
    facts = stored_facts(data.draw(deliveries(scenario), label="delivery"))
    problems = []
    for text in CARD_PERIODS:
        for township in [*scenario.townships, None]:
            got = scorecard_officials(facts, township, Period.parse(text), quotas)
            want = reference_scorecards(scenario.events, township, ref_period(text), quotas)
            problems += [f"[{township or 'county'} {text}] {m}" for m in card_mismatches(got, want)]
    assert not problems, "\n".join(problems[:30]) + f"\n({len(problems)} mismatches)"


def moved(eid: str, status: str, on: str) -> EnterpriseChanged:
    return EnterpriseChanged(enterprise_id=eid, name="测试企业", park=None, status=status,
                             status_on=date.fromisoformat(on), changed_on=date.fromisoformat(on))


def test_an_enterprise_that_moved_out_stops_counting_from_its_status_day_and_counts_again_when_back():
    s = (Stream()
         .add(registered(A, "2025-01-01"), "2025-01-01T10:00:00+08:00")
         .add(registered(B, "2025-01-01"), "2025-01-01T10:00:00+08:00")
         .add(visit("v-1", A, "2025-02-10"), "2025-02-10T10:00:00+08:00")
         .add(moved(A, "moved_out", "2025-02-15"), "2025-02-16T10:00:00+08:00")
         .add(visit("v-2", A, "2025-03-05"), "2025-03-05T10:00:00+08:00")  # after it left: not coverage
         .add(moved(B, "suspended", "2025-01-20"), "2025-01-20T10:00:00+08:00")  # 停产 stays on the list
         .add(moved(A, "active", "2025-06-01"), "2025-06-01T10:00:00+08:00"))
    for order in ([0, 1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1, 0]):
        feb = s.report("2025-02", order=order)  # on the list 02-01..02-14: counted, and its 02-10 visit covers it
        assert (feb["enterprises_registered"], feb["enterprises_visited"]) == (2, 1)
        mar = s.report("2025-03", order=order)  # gone all March: neither listed nor covered by the 03-05 visit
        assert (mar["enterprises_registered"], mar["enterprises_visited"], mar["visits"]) == (1, 0, 1)
        assert s.report("2025-05", order=order)["enterprises_registered"] == 1
        assert s.report("2025-Q2", order=order)["enterprises_registered"] == 2  # back from 06-01


def test_of_two_status_changes_on_one_day_the_later_recorded_counts():
    s = (Stream()
         .add(registered(A, "2025-01-01"), "2025-01-01T10:00:00+08:00")
         .add(moved(A, "active", "2025-03-01"), "2025-03-02T02:00:00+00:00")
         .add(moved(A, "deregistered", "2025-03-01"), "2025-03-02T09:00:00+08:00"))  # 01:00Z: earlier, so active holds
    assert s.report("2025-04")["enterprises_registered"] == 1


# ------------------------------------------------------------------------------------------ the visits' figures and the comparisons

from tests.support.reference import ref_previous, ref_year_before  # noqa: E402


@pytest.mark.parametrize(
    "text, previous, year_before",
    [
        ("2026-01", "2025-12", "2025-01"), ("2026-03", "2026-02", "2025-03"), ("2024-03", "2024-02", "2023-03"),
        ("2026-Q1", "2025-Q4", "2025-Q1"), ("2026-Q3", "2026-Q2", "2025-Q3"), ("2026-Q4", "2026-Q3", "2025-Q4"),
        ("2026-H1", "2025-H2", "2025-H1"), ("2026-H2", "2026-H1", "2025-H2"),
        ("2026", "2025", "2025"), ("1000", "0999", "0999"), ("1000-01", "0999-12", "0999-01"),
        ("9999-12", "9999-11", "9998-12"), ("0002-Q1", "0001-Q4", "0001-Q1"), ("0001-12", "0001-11", None),
        # year 0001: there is no year 0000 (Period.parse refuses it), so nothing before its first month/quarter/half/year
        ("0001-01", None, None), ("0001-Q1", None, None), ("0001-H1", None, None), ("0001", None, None),
        ("0001-H2", "0001-H1", None),
    ],
)
def test_the_period_before_and_the_same_period_a_year_earlier(text, previous, year_before):
    p = Period.parse(text)
    got = p.previous(), p.year_before()
    assert tuple(None if g is None else g.text for g in got) == (previous, year_before)
    for g in got:  # a period as parsed: its first and last days are those of its text
        if g is not None:
            assert g == Period.parse(g.text)
    if got[0] is not None:
        assert got[0].end == p.start - timedelta(days=1)  # just before: no gap, no overlap


@settings(max_examples=300, deadline=None, database=None)
@given(st.from_regex(r"\A[0-9]{4}(-(0[1-9]|1[0-2]|Q[1-4]|H[12]))?\Z").filter(lambda t: not t.startswith("0000")))
def test_previous_and_year_before_agree_with_the_reference(text):
    p, ref = Period.parse(text), ref_period(text)
    for mine, theirs in ((p.previous(), ref_previous(ref)), (p.year_before(), ref_year_before(ref))):
        assert (None if mine is None else (mine.text, mine.start, mine.end)) == \
               (None if theirs is None else (theirs.text, theirs.start, theirs.end))


def told(visit_id: str, eid: str, on: str, kind: str = "routine", channel: str = "in_person", services=(),
         demands: tuple[bool, ...] = ()) -> VisitLogged:
    return VisitLogged(visit_id=visit_id, enterprise_id=eid, visited_on=date.fromisoformat(on), channel=channel, kind=kind,
                       visitors=[OFFICIALS[2]], services=list(services), summary="",
                       demands=[Demand(demand_id=f"{visit_id}-{i}", category="labour", description="缺工", resolved_on_spot=r)
                                for i, r in enumerate(demands)])


def test_the_visits_figures_by_hand_a_service_listed_twice_counts_once():
    s = (Stream()
         .add(registered(A, "2025-01-01"), "2025-01-01T10:00:00+08:00")
         .add(told("v-1", A, "2026-03-02", "visit_day", "in_person", ["policy", "policy", "warmth"], (True, False)),
              "2026-03-02T10:00:00+08:00")
         .add(told("v-2", A, "2026-03-31", "joint", "phone", ["policy"], (False,)), "2026-03-31T10:00:00+08:00")
         .add(told("v-3", A, "2026-04-01", "walkthrough", "remote", ["confidence"], (True,)), "2026-04-01T10:00:00+08:00"))
    for order in ([0, 1, 2, 3], [3, 2, 1, 0, 1]):
        mar = s.report("2026-03", order=order)
        assert mar["visits_by_kind"] == {"routine": 0, "visit_day": 1, "walkthrough": 0, "joint": 1}
        assert mar["visits_by_channel"] == {"in_person": 1, "phone": 1, "remote": 0}
        assert mar["services_delivered"] == {"policy": 2, "warmth": 1, "vitality": 0, "confidence": 0}
        assert (mar["demands_raised"], mar["demands_resolved_on_spot"]) == (3, 1)
        assert mar["on_spot_rate"] == pytest.approx(1 / 3)
    empty = s.report("2026-02")
    assert (empty["visits_by_kind"], empty["demands_raised"], empty["on_spot_rate"]) == (
        {"routine": 0, "visit_day": 0, "walkthrough": 0, "joint": 0}, 0, None)


def test_the_comparison_blocks_by_hand_and_the_county_totals_are_the_other_periods_sums():
    s = (Stream()
         .add(registered(A, "2025-01-01"), "2025-01-01T10:00:00+08:00")
         .add(registered(B, "2025-01-01"), "2025-01-01T10:00:00+08:00")
         .add(told("v-1", A, "2025-03-10", demands=(True,)), "2025-03-10T10:00:00+08:00")  # last year's March
         .add(raised("i-1", "2025-03-10", "2025-03-20"), "2025-03-10T11:00:00+08:00")
         .add(closed("i-1", "2025-03-10", "2025-03-20", "2025-03-15"), "2025-03-15T10:00:00+08:00")
         .add(told("v-2", A, "2026-02-27", demands=(False, False)), "2026-02-27T10:00:00+08:00")  # the month before
         .add(told("v-3", B, "2026-03-05"), "2026-03-05T10:00:00+08:00")
         .add(registered(USCC_POOL[8], "2025-01-01"), "2025-01-01T10:00:00+08:00", township="t2")
         .add(told("v-4", USCC_POOL[8], "2025-03-01"), "2025-03-01T10:00:00+08:00", township="t2"))
    mar = s.report("2026-03")
    blank = {"coverage_rate": None, "county_leader_visits": 0, "issues_raised": 0, "issues_closed": 0, "on_time_rate": None,
             "resolution_rate": None, "satisfaction_rate": None, "mean_working_days_to_close": None}
    assert mar["previous_period"] == {**blank, "period": "2026-02", "enterprises_registered": 2, "enterprises_visited": 1,
                                      "coverage_rate": 0.5, "visits": 1, "demands_raised": 2}
    assert mar["same_period_last_year"] == {
        **blank, "period": "2025-03", "enterprises_registered": 2, "enterprises_visited": 1, "coverage_rate": 0.5,
        "visits": 1, "demands_raised": 1, "issues_raised": 1, "issues_closed": 1, "on_time_rate": 1.0,
        "resolution_rate": 1.0, "satisfaction_rate": 1.0}
    county = s.report("2026-03", township=None)  # the county total compares with the other period's county total
    ly = county["same_period_last_year"]
    assert (ly["period"], ly["enterprises_registered"], ly["enterprises_visited"], ly["visits"]) == ("2025-03", 3, 2, 2)
    assert ly["coverage_rate"] == pytest.approx(2 / 3)  # after summing, not a mean of 0.5 and 1.0
    whole = report_for(stored_facts(s.events), COUNTY, Period.parse("2026-03"))
    assert whole["total"]["same_period_last_year"] == ly
    assert [r["same_period_last_year"]["visits"] for r in whole["townships"]] == [1, 1]
    assert [r["previous_period"]["visits"] for r in whole["townships"]] == [1, 0]
    for block in ("previous_period", "same_period_last_year"):  # flat: no comparison of a comparison
        assert all(not isinstance(v, dict) for v in mar[block].values())
    q1 = s.report("2026-Q1")
    assert (q1["previous_period"]["period"], q1["same_period_last_year"]["period"]) == ("2025-Q4", "2025-Q1")
    assert q1["same_period_last_year"]["visits"] == 1 and q1["previous_period"]["visits"] == 0


def test_a_visit_fact_stored_before_demands_on_spot_existed_counts_none_resolved_on_the_spot():
    s = Stream().add(told("v-1", A, "2026-03-02", demands=(True, True)), "2026-03-02T10:00:00+08:00")
    facts = stored_facts(s.events)
    for d in facts["visits"]:
        d.pop("demand_list"), d.pop("demands_on_spot")  # as an earlier release stored it
    got = compute(facts, "t1", Period.parse("2026-03"))
    assert (got["demands_raised"], got["demands_resolved_on_spot"], got["on_spot_rate"]) == (2, 0, 0.0)
    assert s.report("2026-03")["demands_resolved_on_spot"] == 2  # what the facts stored now (or rebuilt) give
