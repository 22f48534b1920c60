"""Use cases of the issues service. Each change writes the issue's new state, a history entry and the
event to publish in one document write (outbox); the relay publishes it."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Optional

from buildingblocks import outbox
from buildingblocks.outbox import entry as outbox_entry
from contracts.enums import IssueCategory, IssueSource, Level
from contracts.envelope import CHINA, new_event
from contracts.events import (
    IssueAssigned,
    IssueClosed,
    IssueDeadlineChanged,
    IssueEscalated,
    IssueRaised,
    IssueReopened,
    Payload,
)
from contracts.topics import ISSUES as ISSUES_TOPIC
from issues import domain
from issues.calendar import WorkCalendar, builtin_schedules
from buildingblocks.errors import Conflict, Invalid, NotFound
from issues.repository import Repository, key
from issues.requests import EARLIEST, LATEST, AssignIn, CloseIn, ExtendIn, IssueIn, ReopenIn

D = date.fromisoformat


@dataclass
class Context:
    """The repository, and this process's copy of the working-day calendar with the version it was read at."""
    repo: Repository
    calendar: WorkCalendar
    calendar_version: Optional[int] = None  # None: never read from the store

    async def work_calendar(self) -> WorkCalendar:
        """The calendar in force: a schedule saved through any replica is used by the next count of days here.
        One lookup by `_id`; the schedules are reread only when their version moved."""
        version = await self.repo.calendar_version()
        if version != self.calendar_version:
            # Read the version first: a schedule saved meanwhile bumps it again, and the next call rereads.
            self.calendar = WorkCalendar({**builtin_schedules(), **await self.repo.schedules()})
            self.calendar_version = version
        return self.calendar


def _event(township: str, payload: Payload) -> dict:
    return outbox_entry(new_event(payload, township=township, source=f"/townships/{township}/issues"), ISSUES_TOPIC)


def _history(action: str, by: str, **details: Any) -> dict:
    return {"at": datetime.now(CHINA).isoformat(), "action": action, "by": by, **details}


def view(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("_id", "outbox", outbox.UNSENT, "version")}


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
) -> tuple[bool, dict]:
    """Create the issue once; (False, existing) when it exists (a redelivery, a retry)."""
    if not EARLIEST <= raised_on <= LATEST:  # also for intake: such a demand is dead-lettered with this reason
        raise Invalid("raised_on", f"{raised_on.isoformat()} is not between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    rules = await ctx.repo.rules(township)
    if deadline is None:
        counted = domain.sla_deadline(await ctx.work_calendar(), rules, category, raised_on)
        deadline, provisional, rule = counted.day, counted.provisional, "sla"
    else:
        if deadline < raised_on:
            raise Invalid("deadline", f"is before the day the issue is raised ({raised_on.isoformat()})")
        provisional, rule = False, "explicit"
    payload = IssueRaised(
        issue_id=issue_id, enterprise_id=enterprise_id, source=source, visit_id=visit_id, category=category,
        description=description, responsible_unit=responsible_unit, raised_on=raised_on, deadline=deadline,
        deadline_provisional=True if provisional else None,
    )
    doc = {
        "_id": key(township, issue_id),
        "township": township,
        **payload.model_dump(mode="json"),
        "deadline_provisional": provisional,
        "deadline_rule": rule,
        "deadline_anchor": raised_on.isoformat(),
        "origin": origin,
        "status": "open",
        "level": Level.none.value,
        "closed_on": None,
        "outcome": None,
        "resolution": None,
        "satisfaction": None,
        "history": [_history("raised", by, deadline=deadline.isoformat(), provisional=provisional)],
        "version": 1,
        **outbox.new([_event(township, payload)]),
    }
    if await ctx.repo.insert(doc):
        return True, view(doc)
    return False, view(await ctx.repo.get(township, issue_id))


async def raise_from_request(ctx: Context, township: str, body: IssueIn, idem: Optional[str], by: str) -> tuple[bool, dict]:
    issue_id = f"i-{uuid.uuid5(uuid.NAMESPACE_URL, f'{township}/{idem}') if idem else uuid.uuid4()}"
    return await raise_issue(
        ctx, township, issue_id=issue_id, enterprise_id=body.enterprise_id, category=body.category,
        description=body.description, source=body.source, raised_on=body.raised_on or domain.today(), by=by,
        responsible_unit=body.responsible_unit, deadline=body.deadline,
    )


async def _load(ctx: Context, township: str, issue_id: str) -> dict:
    doc = await ctx.repo.get(township, issue_id)
    if doc is None:
        raise NotFound("issue", [issue_id])
    return doc


async def _change(ctx: Context, township: str, issue_id: str, decide) -> dict:
    """Read, decide (pure: returns set, history, payload), write with compare-and-set; retry on a race."""
    for _ in range(5):
        doc = await _load(ctx, township, issue_id)
        set_, history, payload = decide(doc)
        if await ctx.repo.change(doc, set_, history, _event(township, payload)):
            return view({**doc, **set_, "history": [*doc["history"], history]})
    raise Conflict("the issue is being changed by someone else; try again")


def _must_be_open(doc: dict) -> None:
    if doc["status"] != "open":
        raise Conflict(f"issue {doc['issue_id']} is closed (on {doc['closed_on']})")


async def assign(ctx: Context, township: str, issue_id: str, body: AssignIn, by: str) -> dict:
    def decide(doc):
        _must_be_open(doc)
        on = body.assigned_on or domain.today()
        if on < D(doc["raised_on"]):
            raise Invalid("assigned_on", f"is before the issue was raised ({doc['raised_on']})")
        payload = IssueAssigned(issue_id=issue_id, enterprise_id=doc["enterprise_id"], responsible_unit=body.responsible_unit,
                                previous_unit=doc["responsible_unit"], assigned_on=on, reason=body.reason)
        history = _history("assigned", by, responsible_unit=body.responsible_unit, previous_unit=doc["responsible_unit"],
                           reason=body.reason, assigned_on=on.isoformat())
        return {"responsible_unit": body.responsible_unit}, history, payload

    return await _change(ctx, township, issue_id, decide)


async def close(ctx: Context, township: str, issue_id: str, body: CloseIn, by: str) -> dict:
    def decide(doc):
        if doc["status"] == "closed":
            raise Conflict(f"issue {issue_id} is already closed (on {doc['closed_on']})")
        if body.closed_on < D(doc["raised_on"]):
            raise Invalid("closed_on", f"is before the issue was raised ({doc['raised_on']})")
        payload = IssueClosed(issue_id=issue_id, enterprise_id=doc["enterprise_id"], category=doc["category"],
                              raised_on=D(doc["raised_on"]), deadline=D(doc["deadline"]), closed_on=body.closed_on,
                              outcome=body.outcome, resolution=body.resolution, satisfaction=body.satisfaction)
        fields = {"status": "closed", "closed_on": body.closed_on.isoformat(), "outcome": body.outcome.value,
                  "resolution": body.resolution, "satisfaction": body.satisfaction.value if body.satisfaction else None,
                  "level": Level.none.value}
        return fields, _history("closed", by, **{k: v for k, v in fields.items() if k != "status"}), payload

    return await _change(ctx, township, issue_id, decide)


async def reopen(ctx: Context, township: str, issue_id: str, body: ReopenIn, by: str) -> dict:
    rules = await ctx.repo.rules(township)
    calendar = await ctx.work_calendar()

    def decide(doc):
        if doc["status"] != "closed":
            raise Conflict(f"issue {issue_id} is open; only a closed issue can be reopened")
        if body.reopened_on < D(doc["closed_on"]):
            raise Invalid("reopened_on", f"is before the issue was closed ({doc['closed_on']})")
        if body.deadline is None:
            counted = domain.sla_deadline(calendar, rules, IssueCategory(doc["category"]), body.reopened_on)
            deadline, provisional, rule = counted.day, counted.provisional, "sla"
        else:
            if body.deadline < body.reopened_on:
                raise Invalid("deadline", "is before the day the issue is reopened")
            deadline, provisional, rule = body.deadline, False, "explicit"
        payload = IssueReopened(issue_id=issue_id, enterprise_id=doc["enterprise_id"], category=doc["category"],
                                reopened_on=body.reopened_on, reason=body.reason, deadline=deadline)
        fields = {"status": "open", "closed_on": None, "outcome": None, "resolution": None, "satisfaction": None,
                  "deadline": deadline.isoformat(), "deadline_provisional": provisional, "deadline_rule": rule,
                  "deadline_anchor": body.reopened_on.isoformat()}
        return fields, _history("reopened", by, reason=body.reason, deadline=deadline.isoformat()), payload

    return await _change(ctx, township, issue_id, decide)


def _deadline_change(doc: dict, deadline: date, provisional: bool, reason: str, rule: str, by: str):
    payload = IssueDeadlineChanged(issue_id=doc["issue_id"], enterprise_id=doc["enterprise_id"], deadline=deadline,
                                   previous_deadline=D(doc["deadline"]), deadline_provisional=provisional,
                                   changed_on=domain.today(), reason=reason)
    fields = {"deadline": deadline.isoformat(), "deadline_provisional": provisional, "deadline_rule": rule}
    history = _history("deadline_changed", by, previous=doc["deadline"], deadline=deadline.isoformat(),
                       provisional=provisional, reason=reason)
    return fields, history, payload


async def extend(ctx: Context, township: str, issue_id: str, body: ExtendIn, by: str) -> dict:
    def decide(doc):
        _must_be_open(doc)
        if body.deadline <= D(doc["deadline"]):
            raise Invalid("deadline", f"an extension must be later than the current deadline {doc['deadline']}")
        return _deadline_change(doc, body.deadline, False, body.reason, "explicit", by)

    return await _change(ctx, township, issue_id, decide)


async def sweep(ctx: Context, township: str, on: date) -> list[dict]:
    """Give each open issue its level on `on`; each change is written and published once."""
    rules = await ctx.repo.rules(township)
    calendar = await ctx.work_calendar()
    changed = []
    for doc in await ctx.repo.find({"township": township, "status": "open"}):
        level, overdue = domain.level_on(calendar, rules, D(doc["deadline"]), on)
        if level.value == doc["level"]:
            continue

        def decide(current, level=level, overdue=overdue):
            if current["status"] != "open" or current["level"] == level.value:
                raise _Unchanged()
            payload = IssueEscalated(issue_id=current["issue_id"], enterprise_id=current["enterprise_id"], level=level,
                                     previous_level=current["level"], on=on, deadline=D(current["deadline"]),
                                     overdue_working_days=overdue, responsible_unit=current["responsible_unit"])
            history = _history("escalated", "supervision", level=level.value, previous_level=current["level"],
                               on=on.isoformat(), overdue_working_days=overdue)
            return {"level": level.value, "overdue_working_days": overdue}, history, payload

        try:
            changed.append(await _change(ctx, township, doc["issue_id"], decide))
        except _Unchanged:
            pass
    return changed


class _Unchanged(Exception):
    """Another sweep got there first: nothing to publish."""


async def recount_provisional(ctx: Context, year: int) -> int:
    """A holiday schedule arrived: recount the SLA deadlines that were counted on weekends alone."""
    recounted = 0
    calendar = await ctx.work_calendar()
    for doc in await ctx.repo.find({"status": "open", "deadline_provisional": True, "deadline_rule": "sla"}):
        rules = await ctx.repo.rules(doc["township"])
        counted = domain.sla_deadline(calendar, rules, IssueCategory(doc["category"]), D(doc["deadline_anchor"]))
        if counted.day.isoformat() == doc["deadline"] and counted.provisional:
            continue

        def decide(current, counted=counted):
            if not current["deadline_provisional"] or current["deadline_rule"] != "sla":
                raise _Unchanged()
            reason = f"holiday schedule {year} loaded: deadline recounted in working days"
            return _deadline_change(current, counted.day, counted.provisional, reason, "sla", "calendar")

        try:
            await _change(ctx, doc["township"], doc["issue_id"], decide)
            recounted += 1
        except _Unchanged:
            pass
    return recounted
