"""The issue (问题 / 工单): a demand taken on, with a responsible unit and a deadline, chased until it is closed.

Each change checks its rules against the issue's state, applies itself, and returns a `Change`: the event it causes
and the entry it adds to the history. The changes wait in `changes` until the repository has stored them (with
their events, in one write). Days and times are given: the domain never reads a clock.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Optional

from contracts.enums import IssueCategory, IssueSource, Level, Outcome, Satisfaction
from contracts.events import (
    IssueAssigned,
    IssueClosed,
    IssueDeadlineChanged,
    IssueEscalated,
    IssueRaised,
    IssueReopened,
    Payload,
)
from issues.domain.calendar import Deadline, WorkCalendar
from issues.domain.refusals import InvalidValue, WrongStatus
from issues.domain.rules import Rules
from issues.domain.supervision import level_on

OPEN, CLOSED = "open", "closed"
SLA, EXPLICIT = "sla", "explicit"  # how the deadline in force was set: counted from the SLA, or given
# Working days are counted day by day: a date centuries away is a typo, and would cost a long count.
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def sla_deadline(calendar: WorkCalendar, rules: Rules, category: IssueCategory, anchor: date) -> Deadline:
    return calendar.add_working_days(anchor, rules.sla(category))


@dataclass(frozen=True)
class Change:
    event: Payload
    history: dict[str, Any]  # the entry added to the issue's history, as the console shows it
    at: datetime


def _entry(action: str, by: str, at: datetime, **details: Any) -> dict[str, Any]:
    return {"at": at.isoformat(), "action": action, "by": by, **details}


@dataclass(eq=False)
class Issue:
    township: str
    issue_id: str
    enterprise_id: str
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
        deadline: Optional[date] = None,
        origin: Optional[dict[str, Any]] = None,
        request: Optional[str] = None,
    ) -> Issue:
        """A new issue with its deadline: the one given, or the township's SLA for the category in working days."""
        if not EARLIEST <= raised_on <= LATEST:  # also for intake: such a demand is dead-lettered with this reason
            raise InvalidValue("raised_on", f"{raised_on.isoformat()} is not between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
        if deadline is None:
            counted = sla_deadline(calendar, rules, IssueCategory(category), raised_on)
            deadline, provisional, rule = counted.day, counted.provisional, SLA
        elif deadline < raised_on:
            raise InvalidValue("deadline", f"is before the day the issue is raised ({raised_on.isoformat()})")
        else:
            provisional, rule = False, EXPLICIT
        event = IssueRaised(
            issue_id=issue_id, enterprise_id=enterprise_id, source=source, visit_id=visit_id, category=category,
            description=description, responsible_unit=responsible_unit, raised_on=raised_on, deadline=deadline,
            deadline_provisional=True if provisional else None,
        )
        issue = cls(
            township=township, issue_id=event.issue_id, enterprise_id=event.enterprise_id, source=event.source,
            category=event.category, description=event.description, raised_on=event.raised_on, deadline=event.deadline,
            deadline_anchor=event.raised_on, visit_id=event.visit_id, responsible_unit=event.responsible_unit,
            deadline_provisional=provisional, deadline_rule=rule, origin=origin, request=request,
        )
        issue._record(Change(event, _entry("raised", by, at, deadline=deadline.isoformat(), provisional=provisional), at))
        return issue

    # -------------------------------------------------------------------------------------------- lifecycle

    def assign(self, responsible_unit: str, *, on: date, reason: str, by: str, at: datetime) -> Change:
        """Route or re-route to a responsible unit; the issue stays open."""
        self._must_be_open()
        if on < self.raised_on:
            raise InvalidValue("assigned_on", f"is before the issue was raised ({self.raised_on.isoformat()})")
        previous = self.responsible_unit
        event = IssueAssigned(issue_id=self.issue_id, enterprise_id=self.enterprise_id, responsible_unit=responsible_unit,
                              previous_unit=previous, assigned_on=on, reason=reason)
        self.responsible_unit = event.responsible_unit
        return self._record(Change(event, _entry("assigned", by, at, responsible_unit=event.responsible_unit,
                                                 previous_unit=previous, reason=reason, assigned_on=on.isoformat()), at))

    def close(self, *, on: date, outcome: Outcome, resolution: str, satisfaction: Optional[Satisfaction], by: str,
              at: datetime) -> Change:
        """办结: closed with its outcome (closing is not the same as solving) and the enterprise's satisfaction."""
        if self.status == CLOSED:
            raise WrongStatus(f"issue {self.issue_id} is already closed (on {self.closed_on.isoformat()})")
        if on < self.raised_on:
            raise InvalidValue("closed_on", f"is before the issue was raised ({self.raised_on.isoformat()})")
        event = IssueClosed(issue_id=self.issue_id, enterprise_id=self.enterprise_id, category=self.category,
                            raised_on=self.raised_on, deadline=self.deadline, closed_on=on, outcome=outcome,
                            resolution=resolution, satisfaction=satisfaction)
        self.status, self.closed_on, self.outcome = CLOSED, event.closed_on, event.outcome
        self.resolution, self.satisfaction, self.level = event.resolution, event.satisfaction, Level.none
        return self._record(Change(event, _entry(
            "closed", by, at, closed_on=on.isoformat(), outcome=event.outcome.value, resolution=event.resolution,
            satisfaction=event.satisfaction.value if event.satisfaction else None, level=Level.none.value), at))

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
                               responsible_unit=self.responsible_unit)
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
