"""An enterprise of the township's registry: its 包抓 officials over time and the log of its visits."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Optional, Sequence

from contracts import events
from contracts.enums import LEFT_THE_LIST, EnterpriseCategory, EnterpriseStatus
from visits.domain.assignments import Assignment, assigned_on
from visits.domain.guard import GuardDecision, PastVisit, disturbance_guard, planned_nearby
from visits.domain.history import Recorded
from visits.domain.officials import Official
from visits.domain.plan import Plan
from visits.domain.refusals import (
    AssignmentOverlaps,
    BadValue,
    JoinPlanned,
    NoCurrentAssignment,
    PlanClosed,
    TooSoon,
    UnknownPlan,
)
from visits.domain.submission import Submission
from visits.domain.visit import Visit


@dataclass(eq=False)  # an entity: one enterprise is itself, whatever its fields say
class Enterprise(Recorded):
    township: str
    enterprise_id: str
    name: str
    category: EnterpriseCategory
    registered_on: date
    park: Optional[str] = None
    assignments: list[Assignment] = field(default_factory=list)  # the whole history, in the order made
    visit_log: list[PastVisit] = field(default_factory=list)  # every visit the guard has accepted
    submission: Optional[Submission] = None
    plans: list[Plan] = field(default_factory=list)  # its planned visits, open and closed
    status: EnterpriseStatus = EnterpriseStatus.active  # 企业状态, in force from `status_on` (registered_on if never changed)
    status_on: Optional[date] = None
    history: list[dict[str, Any]] = field(default_factory=list)  # every write: what, by whom, when
    recorded_by: Optional[str] = None  # who made the latest write, and when
    recorded_at: Optional[datetime] = None

    @property
    def left_the_list(self) -> bool:
        return self.status in LEFT_THE_LIST

    @classmethod
    def register(
        cls,
        *,
        township: str,
        enterprise_id: str,
        name: str,
        category: EnterpriseCategory,
        registered_on: Optional[date],
        park: Optional[str],
        assigned: Sequence[Official],
        today: date,
        submission: Optional[Submission] = None,
        by: Optional[str] = None,
        at: Optional[datetime] = None,
    ) -> tuple["Enterprise", list[events.Payload]]:
        """A newly registered enterprise (on `today` unless a date is given), its officials assigned from that day."""
        on = registered_on or today
        enterprise = cls(
            township=township, enterprise_id=enterprise_id, name=name, category=category, registered_on=on,
            park=park, assignments=[Assignment(o.official_id, on) for o in assigned], submission=submission,
        )
        enterprise.record("registered", by, at, registered_on=on.isoformat())
        registered = events.EnterpriseRegistered(
            enterprise_id=enterprise_id, name=name, category=category, registered_on=on, park=park,
            assigned_officials=[o.as_named() for o in assigned],
        )
        return enterprise, [registered]

    # --- 包抓 ------------------------------------------------------------------------------------------------

    def assigned_on(self, day: date) -> list[str]:
        return assigned_on(self.assignments, day)

    def assign(self, official: Official, start: Optional[date], end: Optional[date], today: date,
               by: Optional[str] = None, at: Optional[datetime] = None) -> list[events.Payload]:
        """Assign an official from `start` (default today), until `end` or for now without one. Publishes the start,
        and the end too when it is given."""
        new = Assignment(official.official_id, start or today, end)
        if new.end is not None and new.end < new.start:
            raise BadValue("end", "the assignment ends before it starts")
        for current in self.assignments:
            if current.overlaps(new):
                raise AssignmentOverlaps(
                    f"{new.official_id} is already assigned to this enterprise from {current.start.isoformat()}"
                )
        self.assignments.append(new)
        self.record("assigned", by, at, official_id=new.official_id, start=new.start.isoformat(),
                     end=new.end.isoformat() if new.end else None)
        happened: list[events.Payload] = [
            events.AssignmentStarted(enterprise_id=self.enterprise_id, official=official.as_named(), started_on=new.start)
        ]
        if new.end is not None:
            happened.append(events.AssignmentEnded(
                enterprise_id=self.enterprise_id, official_id=new.official_id, ended_on=new.end, reason="assigned until then",
            ))
        return happened


    def end_assignment(self, official_id: str, end: date, reason: str = "", by: Optional[str] = None,
                       at: Optional[datetime] = None) -> list[events.Payload]:
        """End the official's open assignment on `end` (inclusive)."""
        index = next((i for i, a in enumerate(self.assignments) if a.official_id == official_id and a.end is None), None)
        if index is None:
            raise NoCurrentAssignment(official_id)
        current = self.assignments[index]
        if end < current.start:
            raise BadValue("end", f"the assignment started on {current.start.isoformat()}")
        self.assignments[index] = replace(current, end=end)
        self.record("assignment_ended", by, at, official_id=official_id, end=end.isoformat())
        return [events.AssignmentEnded(enterprise_id=self.enterprise_id, official_id=official_id, ended_on=end, reason=reason)]

    # --- edits: name, park, status ---------------------------------------------------------------------------

    def change(
        self,
        *,
        name: Optional[str] = None,
        park: Optional[str] = None,
        clear_park: bool = False,
        status: Optional[EnterpriseStatus] = None,
        status_on: Optional[date] = None,
        today: date,
        by: Optional[str] = None,
        at: Optional[datetime] = None,
    ) -> list[events.Payload]:
        """Edit the name, the park (`clear_park`: none) or the status, in force from `status_on` (default today; not
        before registration, not in the future). Nothing different from what is there: no change and no event."""
        if status_on is not None and status is None:
            raise BadValue("status_on", "give the status that takes effect on that day")
        if status is not None and status is self.status and status_on is None:
            status = None  # the same status again, no new day: nothing to change
        if status is not None:
            status_on = status_on or today
            if status_on > today:
                raise BadValue("status_on", f"a status cannot take effect in the future (today is {today.isoformat()})")
            if status_on < self.registered_on:
                raise BadValue("status_on", f"the enterprise was registered on {self.registered_on.isoformat()}")
        before = {"name": self.name, "park": self.park, "status": self.status.value,
                  "status_on": (self.status_on or self.registered_on).isoformat()}
        after = dict(before)
        if name is not None:
            after["name"] = name
        if park is not None or clear_park:
            after["park"] = None if clear_park else park
        if status is not None:
            after["status"], after["status_on"] = status.value, status_on.isoformat()
        changed = {k: after[k] for k in after if after[k] != before[k]}
        if not changed:
            return []
        self.name, self.park = after["name"], after["park"]
        if status is not None:
            self.status, self.status_on = status, status_on
        self.record("changed", by, at, **{k: {"from": before[k], "to": v} for k, v in changed.items()})
        return [events.EnterpriseChanged(
            enterprise_id=self.enterprise_id, name=self.name, park=self.park, status=self.status,
            status_on=self.status_on or self.registered_on, changed_on=today,
        )]

    # --- the visit log and the disturbance guard ---------------------------------------------------------------

    def routine_visit(self, day: date, quiet_days: int) -> GuardDecision:
        """Whether a routine visit on `day` would be refused."""
        return disturbance_guard(self.visit_log, day, quiet_days)

    def last_visit(self) -> Optional[PastVisit]:
        """The latest visit by date (of one day's visits, the first logged)."""
        return max(self.visit_log, key=lambda p: p.visited_on, default=None)

    def has_logged(self, visit_id: str) -> bool:
        return any(p.visit_id == visit_id for p in self.visit_log)

    def log(self, visit: Visit, quiet_days: int) -> list[events.Payload]:
        """Take a visit into the log, unless the guard refuses it: a routine visit within `quiet_days` of another,
        before or after it (TooSoon), or of a planned visit other than its own (JoinPlanned), that is neither joint nor
        carries an override reason. A visit with a plan_id carries out that plan, which is done with it."""
        if visit.enterprise_id != self.enterprise_id:
            raise ValueError(f"visit {visit.visit_id} is of enterprise {visit.enterprise_id}, not {self.enterprise_id}")
        plan = self._open_plan(visit.plan_id) if visit.plan_id else None
        decision = disturbance_guard(
            self.visit_log, visit.visited_on, quiet_days, joint=visit.joint, override_reason=visit.override_reason
        )
        if decision.refused:
            raise TooSoon(decision)
        if not (visit.joint or (visit.override_reason and visit.override_reason.strip())):
            nearby = planned_nearby(self.plans, visit.visited_on, quiet_days, except_plan=visit.plan_id)
            if nearby is not None:
                raise JoinPlanned(nearby)
        if plan is not None:
            done = plan.done_by(visit.visit_id, visit.visited_on, tuple(o.official_id for o in visit.visitors))
            self._replace(done.stamped(visit.recorded_by, visit.logged_at))
        self.visit_log.append(visit.as_past())
        return [visit.logged()]

    # --- planned visits (走访计划) ------------------------------------------------------------------------------

    def plan_of(self, plan_id: str) -> Plan:
        found = next((p for p in self.plans if p.plan_id == plan_id), None)
        if found is None:
            raise UnknownPlan(plan_id)
        return found

    def _open_plan(self, plan_id: str) -> Plan:
        plan = self.plan_of(plan_id)
        if not plan.open:
            raise PlanClosed(plan)
        return plan

    def record_plan(self, action: str, plan_id: str, by: Optional[str], at: Optional[datetime], **details: Any) -> None:
        """A plan's change: its author and time on the plan, and in the enterprise's history."""
        self._replace(self.plan_of(plan_id).stamped(by, at))
        self.record(action, by, at, plan_id=plan_id, **details)

    def _replace(self, plan: Plan) -> None:
        self.plans = [plan if p.plan_id == plan.plan_id else p for p in self.plans]

    def plan(self, plan: Plan, quiet_days: int, today: date, override_reason: Optional[str] = None) -> list[events.Payload]:
        """Take a planned visit, unless the guard steers it elsewhere: within `quiet_days` of another open plan it is
        to join that one (JoinPlanned), within them of a past visit it is too soon (TooSoon); an override reason
        lets it through both. A plan is for today or later."""
        if plan.enterprise_id != self.enterprise_id:
            raise ValueError(f"plan {plan.plan_id} is of enterprise {plan.enterprise_id}, not {self.enterprise_id}")
        if plan.planned_on < today:
            raise BadValue("planned_on", f"a plan is for today or a later day (today is {today.isoformat()})")
        overridden = bool(override_reason and override_reason.strip())
        if not overridden and (nearby := planned_nearby(self.plans, plan.planned_on, quiet_days)) is not None:
            raise JoinPlanned(nearby)
        decision = disturbance_guard(self.visit_log, plan.planned_on, quiet_days, override_reason=override_reason)
        if decision.refused:
            raise TooSoon(decision)
        self.plans.append(plan)
        return [plan.planned()]

    def join(self, plan_id: str, official: Official) -> list[events.Payload]:
        """联合走访 in one step: the official goes with the planned visit. Joining twice changes nothing."""
        plan = self._open_plan(plan_id)
        if plan.includes(official.official_id):
            return []
        named = official.as_named()
        self._replace(plan.with_joined(named))
        return [events.VisitPlanJoined(plan_id=plan_id, enterprise_id=self.enterprise_id, official=named)]

    def cancel(self, plan_id: str, reason: str, today: date) -> list[events.Payload]:
        """A plan is cancelled only with a reason, and only while it is planned."""
        if not (reason and reason.strip()):
            raise BadValue("reason", "a cancelled plan needs a reason")
        plan = self._open_plan(plan_id)
        self._replace(plan.cancelled(today, reason.strip()))
        return [events.VisitPlanCancelled(plan_id=plan_id, enterprise_id=self.enterprise_id, cancelled_on=today,
                                          reason=reason.strip())]
