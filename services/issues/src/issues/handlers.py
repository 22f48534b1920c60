"""Use cases of the issues service: load the issue, call it, save it. The issue keeps its rules and says what each
change causes; the repository stores the change, its history entry and its event in one document write (outbox),
and the relay publishes the event. "Today" and "now" come from the context's clock."""
from __future__ import annotations

import hashlib
import json
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Iterator, Optional

from buildingblocks.clock import Clock
from buildingblocks.clock import clock as process_clock
from buildingblocks.errors import Conflict, Invalid, NotFound
from buildingblocks.auth import COUNTY
from contracts.enums import IssueCategory, IssueSource
from contracts.events import UnitRegistered
from issues.calendar import builtin_schedules
from issues.domain import Change, InvalidValue, Issue, Unit, Unknown, WrongStatus, issue_id_for_request
from issues.domain.calendar import ScheduleError, WorkCalendar, parse_schedule
from issues.domain.rules import Rules, RulesIn
from issues.repository import Repository, view
from issues.requests import (
    AcknowledgeIn, AssignIn, CloseIn, CoHandlingIn, DecisionIn, ExtendIn, ExtensionRequestIn, FindingIn, FollowUpIn,
    IssueIn, ProgressIn, ReopenIn, ReturnIn, UnitIn,
)

STAMP = ("recorded_by", "recorded_at")  # who wrote a unit last, and when: not part of what makes it a change

ATTEMPTS = 5  # compare-and-set rounds before a change gives up with a 409


@dataclass
class Context:
    """The repository, this process's copy of the working-day calendar with the version it was read at, and the
    clock that says what day it is."""
    repo: Repository
    calendar: WorkCalendar
    calendar_version: Optional[int] = None  # None: never read from the store
    clock: Clock = process_clock

    async def work_calendar(self) -> WorkCalendar:
        """The calendar in force: a schedule saved through any replica is used by the next count of days here.
        One lookup by `_id`; the schedules are reread only when their version moved."""
        version = await self.repo.calendar_version()
        if version != self.calendar_version:
            # Read the version first: a schedule saved meanwhile bumps it again, and the next call rereads.
            self.calendar = WorkCalendar({**builtin_schedules(), **await self.repo.schedules()})
            self.calendar_version = version
        return self.calendar


@contextmanager
def _answered() -> Iterator[None]:
    """The domain's refusals as the service's answers: a wrong value is a 422 naming the field, a wrong status a 409."""
    try:
        yield
    except InvalidValue as exc:
        raise Invalid(exc.field, exc.message) from None
    except WrongStatus as exc:
        raise Conflict(str(exc)) from None
    except Unknown as exc:
        raise NotFound(exc.kind, [exc.id]) from None


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


# ------------------------------------------------------------------------------------------------------- raise


async def _raise(ctx: Context, township: str, issue_id: str, request: Optional[str] = None, **given: Any) -> tuple[bool, Issue]:
    rules = await ctx.repo.rules(township)
    with _answered():
        issue = Issue.raise_(township, issue_id, **given, request=request, at=ctx.clock.now(),
                             calendar=await ctx.work_calendar(), rules=rules)
    if await ctx.repo.add(issue):
        return True, issue
    return False, await _load(ctx, township, issue_id)


async def raise_issue(
    ctx: Context,
    township: str,
    *,
    issue_id: str,
    enterprise_id: str,
    category: IssueCategory,
    description: str,
    source: IssueSource,
    raised_on: date,
    by: str,
    visit_id: Optional[str] = None,
    responsible_unit: Optional[str] = None,
    deadline: Optional[date] = None,
    origin: Optional[dict] = None,
    external_id: Optional[str] = None,
    source_system: Optional[str] = None,
) -> tuple[bool, dict]:
    """Create the issue once; (False, existing) when it exists (a redelivery, a retry). Without a unit it goes to
    the category's default unit (the township's routing)."""
    unit = None if responsible_unit else await default_unit(ctx, township, category)
    created, issue = await _raise(
        ctx, township, issue_id, enterprise_id=enterprise_id, category=category, description=description, source=source,
        raised_on=raised_on, by=by, visit_id=visit_id, responsible_unit=responsible_unit, deadline=deadline,
        origin=origin, unit=unit, external_id=external_id, source_system=source_system,
    )
    return created, view(issue)


async def raise_from_request(ctx: Context, township: str, body: IssueIn, idem: Optional[str], by: str) -> tuple[bool, dict]:
    """A retry with the same Idempotency-Key and body gets the first issue back; with another body, a 409."""
    fingerprint = request_hash(body) if idem else None
    if body.unit_id:
        unit = await routable_unit(ctx, township, body.unit_id, "unit_id")
    else:
        unit = None if body.responsible_unit else await default_unit(ctx, township, body.category)
    created, issue = await _raise(
        ctx, township, issue_id_for_request(township, idem) if idem else f"i-{uuid.uuid4()}", request=fingerprint,
        enterprise_id=body.enterprise_id, category=body.category, description=body.description, source=body.source,
        raised_on=body.raised_on or ctx.clock.today(), by=by, responsible_unit=None if unit else body.responsible_unit,
        deadline=body.deadline, unit=unit, external_id=body.external_id, source_system=body.source_system,
    )
    if not created and issue.request is not None and issue.request != fingerprint:  # None: raised before hashes
        raise Conflict("this Idempotency-Key was already used for a different request")
    return created, view(issue)


# ------------------------------------------------------------------------------------------------- changes


async def _load(ctx: Context, township: str, issue_id: str) -> Issue:
    issue = await ctx.repo.get(township, issue_id)
    if issue is None:
        raise NotFound("issue", [issue_id])
    return issue


async def _change(ctx: Context, township: str, issue_id: str, act: Callable[[Issue], Optional[Change]],
                  first: Optional[Issue] = None) -> Optional[Issue]:
    """Load, act, save compare-and-set; someone changed it meanwhile: load and act again. None: nothing to change."""
    issue = first
    for _ in range(ATTEMPTS):
        if issue is None:
            issue = await _load(ctx, township, issue_id)
        with _answered():
            if act(issue) is None:
                return None
        if await ctx.repo.save(issue):
            return issue
        issue = None
    raise Conflict("the issue is being changed by someone else; try again")


async def assign(ctx: Context, township: str, issue_id: str, body: AssignIn, by: str) -> dict:
    on = body.assigned_on or ctx.clock.today()
    unit = await routable_unit(ctx, township, body.unit_id, "unit_id") if body.unit_id else None  # none named: the issue says
    return view(await _change(ctx, township, issue_id, lambda issue: issue.assign(
        body.responsible_unit, unit=unit, on=on, reason=body.reason, by=by, at=ctx.clock.now())))


async def close(ctx: Context, township: str, issue_id: str, body: CloseIn, by: str) -> dict:
    calendar = await ctx.work_calendar()
    return view(await _change(ctx, township, issue_id, lambda issue: issue.close(
        on=body.closed_on, outcome=body.outcome, resolution=body.resolution, satisfaction=body.satisfaction, by=by,
        at=ctx.clock.now(), calendar=calendar)))


# ------------------------------------------------------------------------------------- what the units do


async def acknowledge(ctx: Context, township: str, issue_id: str, body: AcknowledgeIn, unit_id: str, by: str) -> dict:
    rules, calendar = await ctx.repo.rules(township), await ctx.work_calendar()
    on = body.acknowledged_on or ctx.clock.today()
    return view(await _change(ctx, township, issue_id, lambda issue: issue.acknowledge(
        unit_id, on=on, by=by, at=ctx.clock.now(), calendar=calendar, rules=rules)))


async def return_(ctx: Context, township: str, issue_id: str, body: ReturnIn, unit_id: str, by: str) -> dict:
    if body.suggested_unit_id:
        await routable_unit(ctx, township, body.suggested_unit_id, "suggested_unit_id")
    return view(await _change(ctx, township, issue_id, lambda issue: issue.return_(
        unit_id, on=ctx.clock.today(), reason=body.reason, suggested_unit_id=body.suggested_unit_id, by=by,
        at=ctx.clock.now())))


async def set_co_handling(ctx: Context, township: str, issue_id: str, body: CoHandlingIn, by: str) -> dict:
    units = [await routable_unit(ctx, township, u, f"co_unit_ids[{i}]") for i, u in enumerate(body.co_unit_ids)]
    return view(await _change(ctx, township, issue_id, lambda issue: issue.set_co_handling(
        units, on=ctx.clock.today(), by=by, at=ctx.clock.now())))


async def note_progress(ctx: Context, township: str, issue_id: str, body: ProgressIn, unit_id: Optional[str],
                        by: str) -> dict:
    return view(await _change(ctx, township, issue_id, lambda issue: issue.note_progress(
        body.note, unit_id=unit_id, part_done=body.part_done, on=ctx.clock.today(), by=by, at=ctx.clock.now())))


async def request_extension(ctx: Context, township: str, issue_id: str, body: ExtensionRequestIn,
                            unit_id: Optional[str], by: str) -> dict:
    request_id = f"x-{uuid.uuid4().hex[:12]}"
    issue = await _change(ctx, township, issue_id, lambda i: i.request_extension(
        request_id, body.deadline, reason=body.reason, unit_id=unit_id, on=ctx.clock.today(), by=by,
        at=ctx.clock.now()))
    shown = view(issue)
    return {**next(r for r in shown["extension_requests"] if r["request_id"] == request_id), "issue": shown}


async def decide_extension(ctx: Context, township: str, issue_id: str, request_id: str, body: DecisionIn,
                           by: str) -> dict:
    return view(await _change(ctx, township, issue_id, lambda issue: issue.decide_extension(
        request_id, approved=body.approved, reason=body.reason, on=ctx.clock.today(), by=by, at=ctx.clock.now())))


async def follow_up(ctx: Context, township: str, issue_id: str, body: FollowUpIn, by: str) -> dict:
    rules, calendar = await ctx.repo.rules(township), await ctx.work_calendar()
    on = body.followed_up_on or ctx.clock.today()
    return view(await _change(ctx, township, issue_id, lambda issue: issue.follow_up(
        body.satisfaction, note=body.note, on=on, by=by, at=ctx.clock.now(), calendar=calendar, rules=rules)))


async def raise_finding(ctx: Context, township: str, body: FindingIn, idem: Optional[str], by: str) -> tuple[bool, dict]:
    fingerprint = request_hash(body) if idem else None
    if body.unit_id:
        unit = await routable_unit(ctx, township, body.unit_id, "unit_id")
    else:
        unit = await default_unit(ctx, township, body.category)
    issue_id = issue_id_for_request(township, idem) if idem else f"i-{uuid.uuid4()}"
    with _answered():
        issue = Issue.raise_finding(
            township, issue_id, found_by=body.found_by, subject_kind=body.subject_kind, subject_name=body.subject_name,
            subject_unit_id=body.subject_unit_id, category=body.category, description=body.description,
            raised_on=body.raised_on or ctx.clock.today(), by=by, at=ctx.clock.now(),
            calendar=await ctx.work_calendar(), rules=await ctx.repo.rules(township), unit=unit,
            visit_id=body.visit_id, deadline=body.deadline, request=fingerprint)
    if await ctx.repo.add(issue):
        return True, view(issue)
    existing = await _load(ctx, township, issue_id)
    if existing.request is not None and existing.request != fingerprint:
        raise Conflict("this Idempotency-Key was already used for a different request")
    return False, view(existing)


# ------------------------------------------------------------------------------------ units and routing


async def routable_unit(ctx: Context, township: str, unit_id: str, field: str) -> Unit:
    """A unit an issue of `township` can be routed to: the township's own active units and the county's."""
    unit = await ctx.repo.unit(unit_id)
    if unit is None or unit["township"] not in (township, COUNTY):
        raise Invalid(field, f"{unit_id} is not a registered unit of {township} or of the county")
    if not unit["active"]:
        raise Invalid(field, f"{unit_id} is not active")
    return Unit(unit["unit_id"], unit["name"])


async def default_unit(ctx: Context, township: str, category: IssueCategory) -> Optional[Unit]:
    """The category's default unit in the township's routing; None when it has none (or it is gone)."""
    unit_id = (await ctx.repo.routing(township)).get(IssueCategory(category).value)
    if not unit_id:
        return None
    unit = await ctx.repo.unit(unit_id)
    if unit is None or not unit["active"] or unit["township"] not in (township, COUNTY):
        return None
    return Unit(unit["unit_id"], unit["name"])


async def put_unit(ctx: Context, township: str, unit_id: str, body: UnitIn, by: Optional[str] = None) -> dict:
    """Register or change a unit; its id is the county's (one township's unit cannot take another's id). The unit
    carries who registered or changed it last, and when."""
    if body.parent_id:
        parent = await ctx.repo.unit(body.parent_id)
        if parent is None or parent["township"] not in (township, COUNTY) or body.parent_id == unit_id:
            raise Invalid("parent_id", f"{body.parent_id} is not another registered unit of {township} or the county")
    unit = {"unit_id": unit_id, "township": township, **body.model_dump(mode="json")}
    stored = await ctx.repo.unit(unit_id)
    if stored is not None and {k: v for k, v in stored.items() if k not in STAMP} == unit:
        return stored  # nothing changed: nothing to publish (a repeated PUT, `make demo` run again)
    unit = {**unit, "recorded_by": by, "recorded_at": ctx.clock.now().isoformat()}
    event = UnitRegistered(unit_id=unit_id, name=body.name, kind=body.kind, parent_id=body.parent_id, head=body.head,
                           active=body.active)
    if not await ctx.repo.put_unit(unit, event, ctx.clock.now()):
        raise Conflict(f"unit id {unit_id} is taken by a unit of another township")
    return unit


async def units(ctx: Context, township: str, routable: bool) -> list[dict]:
    found = await ctx.repo.units([township, COUNTY] if routable and township != COUNTY else [township])
    return [u for u in found if u["active"] or not routable]


async def set_routing(ctx: Context, township: str, body: dict[IssueCategory, Optional[str]],
                      by: Optional[str] = None) -> dict:
    """The default unit per category; what the body leaves out keeps its unit, null removes it."""
    routing = await ctx.repo.routing(township)
    for given, unit_id in body.items():
        category = IssueCategory(given)
        if unit_id is None:
            routing.pop(category.value, None)
        else:
            routing[category.value] = (await routable_unit(ctx, township, unit_id, category.value)).unit_id
    await ctx.repo.set_routing(township, routing, by, ctx.clock.now().isoformat())
    return shown_routing(routing)


def shown_routing(routing: dict[str, Optional[str]]) -> dict[str, Optional[str]]:
    return {c.value: routing.get(c.value) for c in IssueCategory}


async def reopen(ctx: Context, township: str, issue_id: str, body: ReopenIn, by: str) -> dict:
    rules, calendar = await ctx.repo.rules(township), await ctx.work_calendar()
    return view(await _change(ctx, township, issue_id, lambda issue: issue.reopen(
        on=body.reopened_on, reason=body.reason, deadline=body.deadline, by=by, at=ctx.clock.now(),
        calendar=calendar, rules=rules)))


async def extend(ctx: Context, township: str, issue_id: str, body: ExtendIn, by: str) -> dict:
    return view(await _change(ctx, township, issue_id, lambda issue: issue.extend(
        body.deadline, reason=body.reason, on=ctx.clock.today(), by=by, at=ctx.clock.now())))


async def sweep(ctx: Context, township: str, on: Optional[date] = None) -> list[dict]:
    """Give each open issue its level on `on` (today by default); each change is written and published once."""
    on = on or ctx.clock.today()
    rules, calendar = await ctx.repo.rules(township), await ctx.work_calendar()
    changed = []
    for issue in await ctx.repo.open_issues(township):
        done = await _change(ctx, township, issue.issue_id, lambda i: i.escalate(
            on=on, calendar=calendar, rules=rules, at=ctx.clock.now()), first=issue)
        if done is not None:
            changed.append(view(done))
    return changed


async def recount_provisional(ctx: Context, year: int) -> int:
    """A holiday schedule arrived: recount the SLA deadlines that were counted on weekends alone."""
    calendar, rules, recounted = await ctx.work_calendar(), {}, 0
    for issue in await ctx.repo.provisional_sla_deadlines():
        if issue.township not in rules:
            rules[issue.township] = await ctx.repo.rules(issue.township)

        def recount(i: Issue, township_rules: Rules = rules[issue.township]) -> Optional[Change]:
            return i.recount(year, on=ctx.clock.today(), calendar=calendar, rules=township_rules, at=ctx.clock.now())

        recounted += await _change(ctx, issue.township, issue.issue_id, recount, first=issue) is not None
    return recounted


# ---------------------------------------------------------------------------------------- rules and calendar


async def change_rules(ctx: Context, township: str, body: RulesIn, by: Optional[str] = None) -> Rules:
    """A township's SLA and thresholds; what the body leaves out keeps its value. Who and when are kept with them."""
    with _answered():
        rules = body.applied_to(await ctx.repo.rules(township))
    await ctx.repo.set_rules(township, rules, by, ctx.clock.now().isoformat())
    return rules


async def load_schedule(ctx: Context, year: int, schedule: dict[str, Any], by: Optional[str] = None) -> dict[str, Any]:
    """A year's official holiday schedule, in force on every replica from its next request; the provisional
    deadlines are recounted."""
    try:
        parsed = parse_schedule(schedule)
    except ScheduleError as exc:
        raise Invalid("schedule", str(exc)) from None
    if parsed.year != year:
        raise Invalid("year", f"the body is the schedule of {parsed.year}, not {year}")
    await ctx.repo.save_schedule(year, schedule, by, ctx.clock.now().isoformat())
    return {"year": year, "recounted": await recount_provisional(ctx, year)}
