"""The issue (问题 / 工单): a demand taken on, with a responsible unit and a deadline, chased until it is closed.

Each change checks its rules against the issue's state, applies itself, and returns a `Change`: the event it causes
and the entry it adds to the history. The changes wait in `changes` until the repository has stored them (with
their events, in one write). Days and times are given: the domain never reads a clock.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Optional

from contracts.enums import FindingSource, IssueCategory, IssueSource, Level, Outcome, Satisfaction, SubjectKind
from contracts.events import (
    FindingClosed,
    FindingRaised,
    IssueAcknowledged,
    IssueAssigned,
    IssueClosed,
    IssueCoHandlingSet,
    IssueDeadlineChanged,
    IssueEscalated,
    IssueExtensionDecided,
    IssueExtensionRequested,
    IssueFollowedUp,
    IssueProgressNoted,
    IssueRaised,
    IssueReopened,
    IssueReturned,
    Payload,
)
from issues.domain.calendar import Deadline, WorkCalendar
from issues.domain.refusals import InvalidValue, Unknown, WrongStatus
from issues.domain.rules import Rules
from issues.domain.supervision import level_on

OPEN, CLOSED = "open", "closed"
ISSUE, FINDING = "issue", "finding"  # an enterprise's issue, or a finding (a procedure's or a unit's problem)
# Where the routing stands: nobody yet; routed to a unit (to be acknowledged); acknowledged (签收); returned (退回),
# waiting for the dispatcher to route it again.
UNROUTED, ROUTED, ACKNOWLEDGED, RETURNED = "unrouted", "routed", "acknowledged", "returned"
PENDING, APPROVED, REFUSED = "pending", "approved", "refused"
SLA, EXPLICIT = "sla", "explicit"  # how the deadline in force was set: counted from the SLA, or given
# Working days are counted day by day: a date centuries away is a typo, and would cost a long count.
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def sla_deadline(calendar: WorkCalendar, rules: Rules, category: IssueCategory, anchor: date) -> Deadline:
    return calendar.add_working_days(anchor, rules.sla(category))


def _first_deadline(calendar: WorkCalendar, rules: Rules, category: IssueCategory, raised_on: date,
                    deadline: Optional[date]) -> tuple[date, bool, str]:
    if not EARLIEST <= raised_on <= LATEST:  # also for intake: such a demand is dead-lettered with this reason
        raise InvalidValue("raised_on", f"{raised_on.isoformat()} is not between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    if deadline is None:
        counted = sla_deadline(calendar, rules, IssueCategory(category), raised_on)
        return counted.day, counted.provisional, SLA
    if deadline < raised_on:
        raise InvalidValue("deadline", f"is before the day the issue is raised ({raised_on.isoformat()})")
    return deadline, False, EXPLICIT


@dataclass(frozen=True)
class Change:
    event: Payload
    history: dict[str, Any]  # the entry added to the issue's history, as the console shows it
    at: datetime


def _ids(**given: Any) -> dict[str, Any]:
    """Details of the units' era, in a history entry only when there are any (older entries keep their shape)."""
    return {k: v for k, v in given.items() if v is not None}


def _entry(action: str, by: str, at: datetime, **details: Any) -> dict[str, Any]:
    return {"at": at.isoformat(), "action": action, "by": by, **details}


@dataclass(frozen=True)
class Unit:
    """A registered responsible unit as an issue names it."""
    unit_id: str
    name: str


@dataclass(eq=False)
class Issue:
    township: str
    issue_id: str
    enterprise_id: Optional[str]  # None for a finding
    source: IssueSource
    category: IssueCategory
    description: str
    raised_on: date
    deadline: date
    deadline_anchor: date  # the day the SLA is counted from: raised or reopened
    visit_id: Optional[str] = None
    responsible_unit: Optional[str] = None
    deadline_provisional: bool = False  # counted over a year whose holiday schedule is not loaded
    deadline_rule: str = SLA
    origin: Optional[dict[str, Any]] = None  # where intake took it from
    status: str = OPEN
    level: Level = Level.none
    overdue_working_days: Optional[int] = None  # set by the first escalation
    closed_on: Optional[date] = None
    outcome: Optional[Outcome] = None
    resolution: Optional[str] = None
    satisfaction: Optional[Satisfaction] = None
    request: Optional[str] = None  # the fingerprint of the request that raised it (Idempotency-Key retries)
    kind: str = ISSUE
    unit_id: Optional[str] = None  # the registered lead unit (None: none, or a free-text responsible_unit)
    routing: str = UNROUTED
    assigned_on: Optional[date] = None  # the day of the routing in force (acknowledgement is counted from it)
    acknowledged_on: Optional[date] = None
    co_units: list[dict[str, Any]] = field(default_factory=list)  # [{unit_id, name, part_done}]
    progress: list[dict[str, Any]] = field(default_factory=list)  # [{noted_on, unit_id, note, part_done, by}]
    extension_requests: list[dict[str, Any]] = field(default_factory=list)
    follow_ups: list[dict[str, Any]] = field(default_factory=list)  # [{followed_up_on, satisfaction, note, by}]
    external_id: Optional[str] = None  # the sender's own id (e.g. the 12345 工单) and system
    source_system: Optional[str] = None
    finding: Optional[dict[str, Any]] = None  # a finding's subject: {found_by, subject_kind, subject_name, subject_unit_id}
    history: list[dict[str, Any]] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)  # not stored yet
    version: int = 0  # the stored version this state was read at: the repository's compare-and-set token

    # ------------------------------------------------------------------------------------------------ raise

    @classmethod
    def raise_(
        cls,
        township: str,
        issue_id: str,
        *,
        enterprise_id: str,
        category: IssueCategory,
        description: str,
        source: IssueSource,
        raised_on: date,
        by: str,
        at: datetime,
        calendar: WorkCalendar,
        rules: Rules,
        visit_id: Optional[str] = None,
        responsible_unit: Optional[str] = None,
        unit: Optional[Unit] = None,
        deadline: Optional[date] = None,
        origin: Optional[dict[str, Any]] = None,
        request: Optional[str] = None,
        external_id: Optional[str] = None,
        source_system: Optional[str] = None,
    ) -> Issue:
        """A new issue with its deadline: the one given, or the township's SLA for the category in working days;
        routed to `unit` (a registered unit) or to a free-text `responsible_unit` kept as given."""
        deadline, provisional, rule = _first_deadline(calendar, rules, category, raised_on, deadline)
        responsible_unit = unit.name if unit else responsible_unit
        event = IssueRaised(
            issue_id=issue_id, enterprise_id=enterprise_id, source=source, visit_id=visit_id, category=category,
            description=description, responsible_unit=responsible_unit, raised_on=raised_on, deadline=deadline,
            deadline_provisional=True if provisional else None, unit_id=unit.unit_id if unit else None,
            external_id=external_id, source_system=source_system,
        )
        issue = cls(
            township=township, issue_id=event.issue_id, enterprise_id=event.enterprise_id, source=event.source,
            category=event.category, description=event.description, raised_on=event.raised_on, deadline=event.deadline,
            deadline_anchor=event.raised_on, visit_id=event.visit_id, responsible_unit=event.responsible_unit,
            deadline_provisional=provisional, deadline_rule=rule, origin=origin, request=request,
            unit_id=event.unit_id, external_id=external_id, source_system=source_system,
        )
        issue._routed(raised_on)
        routed = {"unit_id": issue.unit_id, "responsible_unit": issue.responsible_unit} if issue.unit_id else {}
        issue._record(Change(event, _entry("raised", by, at, deadline=deadline.isoformat(), provisional=provisional,
                                           **routed), at))
        return issue

    @classmethod
    def raise_finding(
        cls,
        township: str,
        issue_id: str,
        *,
        found_by: FindingSource,
        subject_kind: SubjectKind,
        subject_name: str,
        category: IssueCategory,
        description: str,
        raised_on: date,
        by: str,
        at: datetime,
        calendar: WorkCalendar,
        rules: Rules,
        subject_unit_id: Optional[str] = None,
        unit: Optional[Unit] = None,
        visit_id: Optional[str] = None,
        deadline: Optional[date] = None,
        request: Optional[str] = None,
    ) -> Issue:
        """A finding (一把手走流程, 督查整改): a problem in a procedure or a unit, worked like an issue; no enterprise."""
        deadline, provisional, rule = _first_deadline(calendar, rules, category, raised_on, deadline)
        event = FindingRaised(
            issue_id=issue_id, found_by=found_by, subject_kind=subject_kind, subject_name=subject_name,
            subject_unit_id=subject_unit_id, category=category, description=description,
            responsible_unit=unit.name if unit else None, unit_id=unit.unit_id if unit else None, visit_id=visit_id,
            raised_on=raised_on, deadline=deadline, deadline_provisional=True if provisional else None,
        )
        issue = cls(
            township=township, issue_id=issue_id, enterprise_id=None, source=IssueSource.other, category=event.category,
            description=description, raised_on=raised_on, deadline=deadline, deadline_anchor=raised_on,
            visit_id=visit_id, responsible_unit=event.responsible_unit, deadline_provisional=provisional,
            deadline_rule=rule, request=request, kind=FINDING, unit_id=event.unit_id,
            finding={"found_by": event.found_by.value, "subject_kind": event.subject_kind.value,
                     "subject_name": subject_name, "subject_unit_id": subject_unit_id},
        )
        issue._routed(raised_on)
        routed = {"unit_id": issue.unit_id, "responsible_unit": issue.responsible_unit} if issue.unit_id else {}
        issue._record(Change(event, _entry("raised", by, at, deadline=deadline.isoformat(), provisional=provisional,
                                           **routed), at))
        return issue

    # -------------------------------------------------------------------------------------------- lifecycle

    def assign(self, responsible_unit: Optional[str] = None, *, on: date, reason: str, by: str, at: datetime,
               unit: Optional[Unit] = None) -> Change:
        """Route or re-route to a registered unit (its name becomes the responsible unit) or a free-text one; the
        issue stays open and waits for the unit's acknowledgement."""
        self._must_be_open()
        if on < self.raised_on:
            raise InvalidValue("assigned_on", f"is before the issue was raised ({self.raised_on.isoformat()})")
        if unit is None and not responsible_unit:
            raise InvalidValue("unit_id", "name the unit: unit_id (a registered unit) or responsible_unit")
        previous, previous_id = self.responsible_unit, self.unit_id
        event = IssueAssigned(issue_id=self.issue_id, enterprise_id=self.enterprise_id,
                              responsible_unit=unit.name if unit else responsible_unit, previous_unit=previous,
                              assigned_on=on, reason=reason, unit_id=unit.unit_id if unit else None,
                              previous_unit_id=previous_id)
        self.responsible_unit, self.unit_id = event.responsible_unit, event.unit_id
        self.co_units = [c for c in self.co_units if c["unit_id"] != self.unit_id]  # the lead is no co-unit of itself
        self._routed(on)
        return self._record(Change(event, _entry("assigned", by, at, responsible_unit=event.responsible_unit,
                                                 previous_unit=previous, reason=reason, assigned_on=on.isoformat(),
                                                 **_ids(unit_id=self.unit_id, previous_unit_id=previous_id)), at))

    def acknowledge(self, unit_id: str, *, on: date, by: str, at: datetime, calendar: WorkCalendar,
                    rules: Rules) -> Change:
        """签收 by the lead unit; the working days since the routing are measured against `acknowledge_within`."""
        self._must_be_open()
        self._must_lead(unit_id)
        if self.routing != ROUTED:
            raise WrongStatus(f"issue {self.issue_id} is {self.routing}; only a routed issue is acknowledged")
        if on < self.assigned_on:
            raise InvalidValue("acknowledged_on", f"is before the issue was routed ({self.assigned_on.isoformat()})")
        days = calendar.working_days_between(self.assigned_on, on)
        event = IssueAcknowledged(issue_id=self.issue_id, enterprise_id=self.enterprise_id, unit_id=unit_id,
                                  responsible_unit=self.responsible_unit, assigned_on=self.assigned_on,
                                  acknowledged_on=on, working_days_to_acknowledge=days,
                                  on_time=days <= rules.acknowledge_within)
        self.routing, self.acknowledged_on = ACKNOWLEDGED, on
        return self._record(Change(event, _entry("acknowledged", by, at, unit_id=unit_id, acknowledged_on=on.isoformat(),
                                                 working_days=days, on_time=event.on_time), at))

    def return_(self, unit_id: str, *, on: date, reason: str, suggested_unit_id: Optional[str], by: str,
                at: datetime) -> Change:
        """退回: the lead unit says it is not its own; it waits for the dispatcher to route it again."""
        self._must_be_open()
        self._must_lead(unit_id)
        if self.routing == RETURNED:
            raise WrongStatus(f"issue {self.issue_id} is already returned; it waits to be routed again")
        if on < (self.assigned_on or self.raised_on):
            raise InvalidValue("returned_on", "is before the issue was routed")
        if suggested_unit_id == unit_id:
            raise InvalidValue("suggested_unit_id", "is the unit that returns it")
        event = IssueReturned(issue_id=self.issue_id, enterprise_id=self.enterprise_id, unit_id=unit_id,
                              responsible_unit=self.responsible_unit, returned_on=on, reason=reason,
                              suggested_unit_id=suggested_unit_id)
        self.routing, self.acknowledged_on = RETURNED, None
        return self._record(Change(event, _entry("returned", by, at, unit_id=unit_id, reason=reason,
                                                 suggested_unit_id=suggested_unit_id, returned_on=on.isoformat()), at))

    def set_co_handling(self, co_units: list[Unit], *, on: date, by: str, at: datetime) -> Change:
        """协办: the lead unit leads, the co-units each report their part (a part already reported stays reported)."""
        self._must_be_open()
        if self.unit_id is None:
            raise InvalidValue("co_unit_ids", "the issue has no registered lead unit to lead the co-units")
        ids = [u.unit_id for u in co_units]
        if len(set(ids)) != len(ids):
            raise InvalidValue("co_unit_ids", "a unit is listed twice")
        if self.unit_id in ids:
            raise InvalidValue("co_unit_ids", f"{self.unit_id} leads the issue; it is no co-unit of itself")
        done = {c["unit_id"]: c["part_done"] for c in self.co_units}
        event = IssueCoHandlingSet(issue_id=self.issue_id, enterprise_id=self.enterprise_id, lead_unit_id=self.unit_id,
                                   co_unit_ids=ids, set_on=on)
        self.co_units = [{"unit_id": u.unit_id, "name": u.name, "part_done": done.get(u.unit_id, False)} for u in co_units]
        return self._record(Change(event, _entry("co_handling_set", by, at, lead_unit_id=self.unit_id, co_unit_ids=ids,
                                                 set_on=on.isoformat()), at))

    def note_progress(self, note: str, *, unit_id: Optional[str], part_done: bool, on: date, by: str,
                      at: datetime) -> Change:
        """阶段答复 by the lead unit, a co-unit or the township (unit_id None); a co-unit's `part_done` reports its part."""
        self._must_be_open()
        if unit_id is not None and unit_id != self.unit_id and unit_id not in self._co_ids():
            raise InvalidValue("unit_id", f"{unit_id} neither leads nor co-handles issue {self.issue_id}")
        if part_done and unit_id not in self._co_ids():
            raise InvalidValue("part_done", "only a co-unit reports its part done")
        event = IssueProgressNoted(issue_id=self.issue_id, enterprise_id=self.enterprise_id, unit_id=unit_id,
                                   noted_on=on, note=note, part_done=part_done)
        for c in self.co_units:
            if part_done and c["unit_id"] == unit_id:
                c["part_done"] = True
        self.progress = [*self.progress, {"noted_on": on.isoformat(), "unit_id": unit_id, "note": note,
                                          "part_done": part_done, "by": by}]
        return self._record(Change(event, _entry("progress_noted", by, at, unit_id=unit_id, note=note,
                                                 part_done=part_done, noted_on=on.isoformat()), at))

    def request_extension(self, request_id: str, deadline: date, *, reason: str, unit_id: Optional[str], on: date,
                          by: str, at: datetime) -> Change:
        """延期申请: a later deadline asked for, with the reason; a supervisor or admin decides. One pending at a time."""
        self._must_be_open()
        if deadline <= self.deadline:
            raise InvalidValue("deadline", f"must be later than the current deadline {self.deadline.isoformat()}")
        if any(r["status"] == PENDING for r in self.extension_requests):
            raise WrongStatus(f"issue {self.issue_id} already has an extension request waiting for a decision")
        event = IssueExtensionRequested(issue_id=self.issue_id, enterprise_id=self.enterprise_id, request_id=request_id,
                                        unit_id=unit_id, deadline=self.deadline, requested_deadline=deadline,
                                        requested_on=on, reason=reason)
        self.extension_requests = [*self.extension_requests, {
            "request_id": request_id, "unit_id": unit_id, "requested_deadline": deadline.isoformat(), "reason": reason,
            "requested_on": on.isoformat(), "status": PENDING, "decided_on": None, "decision_reason": None}]
        return self._record(Change(event, _entry("extension_requested", by, at, request_id=request_id,
                                                 requested_deadline=deadline.isoformat(), reason=reason), at))

    def decide_extension(self, request_id: str, *, approved: bool, reason: str, on: date, by: str,
                         at: datetime) -> Change:
        """延期审批: approved moves the deadline (IssueDeadlineChanged follows the decision); refused keeps it."""
        self._must_be_open()
        found = next((r for r in self.extension_requests if r["request_id"] == request_id), None)
        if found is None:
            raise Unknown("extension request", request_id)
        if found["status"] != PENDING:
            raise WrongStatus(f"extension request {request_id} is already {found['status']}")
        asked = date.fromisoformat(found["requested_deadline"])
        if approved and asked <= self.deadline:
            raise InvalidValue("approved", f"the requested {asked.isoformat()} is not later than the deadline in force")
        event = IssueExtensionDecided(issue_id=self.issue_id, enterprise_id=self.enterprise_id, request_id=request_id,
                                      approved=approved, decided_on=on, deadline=asked if approved else self.deadline,
                                      reason=reason)
        self.extension_requests = [
            {**r, "status": APPROVED if approved else REFUSED, "decided_on": on.isoformat(), "decision_reason": reason}
            if r["request_id"] == request_id else r for r in self.extension_requests]
        decided = self._record(Change(event, _entry("extension_decided", by, at, request_id=request_id,
                                                    approved=approved, reason=reason), at))
        if approved:
            self._change_deadline(asked, False, f"extension request {request_id} approved: {found['reason']}"[:4000],
                                  EXPLICIT, on=on, by=by, at=at)
        return decided

    def close(self, *, on: date, outcome: Outcome, resolution: str, satisfaction: Optional[Satisfaction], by: str,
              at: datetime, calendar: Optional[WorkCalendar] = None) -> Change:
        """办结: closed with its outcome (closing is not the same as solving) and the enterprise's satisfaction (for
        the systems that send it; otherwise the 回访 records it). Not while a co-unit's part is missing. With the
        calendar, the working days from the deadline's anchor (raised or reopened) are carried on the event."""
        if self.status == CLOSED:
            raise WrongStatus(f"issue {self.issue_id} is already closed (on {self.closed_on.isoformat()})")
        if on < self.raised_on:
            raise InvalidValue("closed_on", f"is before the issue was raised ({self.raised_on.isoformat()})")
        missing = [c["unit_id"] for c in self.co_units if not c["part_done"]]
        if missing:
            raise WrongStatus(f"issue {self.issue_id} waits for the co-units' parts: {', '.join(missing)}")
        days = calendar.working_days_between(self.deadline_anchor, on) if calendar is not None else None
        if self.kind == FINDING:
            event: Payload = FindingClosed(
                issue_id=self.issue_id, subject_name=self.finding["subject_name"], category=self.category,
                raised_on=self.raised_on, deadline=self.deadline, closed_on=on, outcome=outcome, resolution=resolution,
                unit_id=self.unit_id, working_days_to_close=days)
        else:
            event = IssueClosed(issue_id=self.issue_id, enterprise_id=self.enterprise_id, category=self.category,
                                raised_on=self.raised_on, deadline=self.deadline, closed_on=on, outcome=outcome,
                                resolution=resolution, satisfaction=satisfaction, unit_id=self.unit_id,
                                working_days_to_close=days, external_id=self.external_id,
                                source_system=self.source_system)
        satisfaction = getattr(event, "satisfaction", satisfaction)
        self.status, self.closed_on, self.outcome = CLOSED, event.closed_on, event.outcome
        self.resolution, self.satisfaction, self.level = event.resolution, satisfaction, Level.none
        return self._record(Change(event, _entry(
            "closed", by, at, closed_on=on.isoformat(), outcome=event.outcome.value, resolution=event.resolution,
            satisfaction=satisfaction.value if satisfaction else None, level=Level.none.value,
            **_ids(unit_id=self.unit_id, working_days=days)), at))

    def follow_up(self, satisfaction: Satisfaction, *, note: str, on: date, by: str, at: datetime,
                  calendar: WorkCalendar, rules: Rules) -> Change:
        """回访: the enterprise asked by someone who is not the handler; dissatisfied reopens the issue (IssueReopened
        follows, a new SLA deadline, the same unit, to be acknowledged again)."""
        if self.status != CLOSED:
            raise WrongStatus(f"issue {self.issue_id} is open; the follow-up comes after it is closed")
        if on < self.closed_on:
            raise InvalidValue("followed_up_on", f"is before the issue was closed ({self.closed_on.isoformat()})")
        event = IssueFollowedUp(issue_id=self.issue_id, enterprise_id=self.enterprise_id, followed_up_on=on,
                                satisfaction=satisfaction, note=note, unit_id=self.unit_id)
        self.follow_ups = [*self.follow_ups, {"followed_up_on": on.isoformat(), "satisfaction": satisfaction.value,
                                              "note": note, "by": by}]
        self.satisfaction = satisfaction
        followed = self._record(Change(event, _entry("followed_up", by, at, satisfaction=satisfaction.value, note=note,
                                                     followed_up_on=on.isoformat()), at))
        if satisfaction == Satisfaction.dissatisfied:
            self.reopen(on=on, reason=f"回访不满意: {note}" if note else "回访不满意", deadline=None, by=by, at=at,
                        calendar=calendar, rules=rules)
        return followed

    def reopen(self, *, on: date, reason: str, deadline: Optional[date], by: str, at: datetime,
               calendar: WorkCalendar, rules: Rules) -> Change:
        """The follow-up (回访) found the enterprise dissatisfied: open again, with a new SLA deadline or the one given."""
        if self.status != CLOSED:
            raise WrongStatus(f"issue {self.issue_id} is open; only a closed issue can be reopened")
        if on < self.closed_on:
            raise InvalidValue("reopened_on", f"is before the issue was closed ({self.closed_on.isoformat()})")
        if deadline is None:
            counted = sla_deadline(calendar, rules, self.category, on)
            deadline, provisional, rule = counted.day, counted.provisional, SLA
        elif deadline < on:
            raise InvalidValue("deadline", "is before the day the issue is reopened")
        else:
            provisional, rule = False, EXPLICIT
        event = IssueReopened(issue_id=self.issue_id, enterprise_id=self.enterprise_id, category=self.category,
                              reopened_on=on, reason=reason, deadline=deadline)
        self.status, self.closed_on, self.outcome, self.resolution, self.satisfaction = OPEN, None, None, None, None
        self.deadline, self.deadline_provisional, self.deadline_rule, self.deadline_anchor = deadline, provisional, rule, on
        self._routed(on)  # the same unit, to acknowledge again
        return self._record(Change(event, _entry("reopened", by, at, reason=reason, deadline=deadline.isoformat()), at))

    def extend(self, deadline: date, *, reason: str, on: date, by: str, at: datetime) -> Change:
        """A later deadline, with the reason."""
        self._must_be_open()
        if deadline <= self.deadline:
            raise InvalidValue("deadline", f"an extension must be later than the current deadline {self.deadline.isoformat()}")
        return self._change_deadline(deadline, False, reason, EXPLICIT, on=on, by=by, at=at)

    def escalate(self, *, on: date, calendar: WorkCalendar, rules: Rules, at: datetime) -> Optional[Change]:
        """The supervision level on `on` (blue within N working days of the deadline, yellow overdue, red overdue by
        more than M); a change only when the level moves, so each level is published once."""
        if self.status != OPEN:
            return None
        level, overdue = level_on(calendar, rules, self.deadline, on)
        if level == self.level:
            return None
        event = IssueEscalated(issue_id=self.issue_id, enterprise_id=self.enterprise_id, level=level,
                               previous_level=self.level, on=on, deadline=self.deadline, overdue_working_days=overdue,
                               responsible_unit=self.responsible_unit, unit_id=self.unit_id)
        previous, self.level, self.overdue_working_days = self.level, level, overdue
        return self._record(Change(event, _entry("escalated", "supervision", at, level=level.value,
                                                 previous_level=previous.value, on=on.isoformat(),
                                                 overdue_working_days=overdue), at))

    def recount(self, year: int, *, on: date, calendar: WorkCalendar, rules: Rules, at: datetime) -> Optional[Change]:
        """A year's holiday schedule arrived: an open issue whose SLA deadline was counted on weekends alone is counted
        again in working days. Nothing when the deadline was given, is not provisional, or comes out the same."""
        if self.status != OPEN or not self.deadline_provisional or self.deadline_rule != SLA:
            return None
        counted = sla_deadline(calendar, rules, self.category, self.deadline_anchor)
        if counted.day == self.deadline and counted.provisional:
            return None
        reason = f"holiday schedule {year} loaded: deadline recounted in working days"
        return self._change_deadline(counted.day, counted.provisional, reason, SLA, on=on, by="calendar", at=at)

    # -------------------------------------------------------------------------------------------------------

    @property
    def events(self) -> list[Payload]:
        """The events of the changes not stored yet, in order."""
        return [c.event for c in self.changes]

    def _routed(self, on: date) -> None:
        self.routing = ROUTED if (self.unit_id or self.responsible_unit) else UNROUTED
        self.assigned_on = on if self.routing == ROUTED else None
        self.acknowledged_on = None

    def _co_ids(self) -> list[str]:
        return [c["unit_id"] for c in self.co_units]

    def _must_lead(self, unit_id: str) -> None:
        if unit_id != self.unit_id:
            raise InvalidValue("unit_id", f"{unit_id} does not lead issue {self.issue_id}")

    def _must_be_open(self) -> None:
        if self.status != OPEN:
            raise WrongStatus(f"issue {self.issue_id} is closed (on {self.closed_on.isoformat()})")

    def _change_deadline(self, deadline: date, provisional: bool, reason: str, rule: str, *, on: date, by: str,
                         at: datetime) -> Change:
        event = IssueDeadlineChanged(issue_id=self.issue_id, enterprise_id=self.enterprise_id, deadline=deadline,
                                     previous_deadline=self.deadline, deadline_provisional=provisional, changed_on=on,
                                     reason=reason)
        previous = self.deadline
        self.deadline, self.deadline_provisional, self.deadline_rule = deadline, provisional, rule
        return self._record(Change(event, _entry("deadline_changed", by, at, previous=previous.isoformat(),
                                                 deadline=deadline.isoformat(), provisional=provisional, reason=reason), at))

    def _record(self, change: Change) -> Change:
        self.history.append(change.history)
        self.changes.append(change)
        return change
