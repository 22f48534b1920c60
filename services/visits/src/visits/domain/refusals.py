"""What the domain refuses, in its own words; the handlers give each its HTTP status."""
from __future__ import annotations

from visits.domain.guard import GuardDecision


class Refused(Exception):
    """A rule said no."""


class UnknownOfficials(Refused):
    def __init__(self, ids: list[str]):
        super().__init__(f"unknown official: {', '.join(ids)}")
        self.ids = ids


class NoCurrentAssignment(Refused):
    def __init__(self, official_id: str):
        super().__init__(f"{official_id} is not assigned to this enterprise now")
        self.official_id = official_id


class AssignmentOverlaps(Refused):
    """The same official twice over the same days."""


class BadValue(Refused):
    """A value the request could not be judged on alone (it needs the enterprise or the day); names the field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class VisitInFuture(BadValue):
    def __init__(self, today):
        super().__init__("visited_on", f"a visit cannot be in the future (today is {today.isoformat()})")


class TooSoon(Refused):
    """The disturbance guard refused a routine visit; the decision names the visit it is too close to."""

    def __init__(self, decision: GuardDecision):
        super().__init__(decision.reason)
        self.decision = decision


class KeyReused(Refused):
    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was already used for a different request")


class JoinPlanned(Refused):
    """The forward-looking guard: a visit is already planned within the quiet period; join it instead."""

    def __init__(self, plan):
        day, lead = plan.planned_on.isoformat(), plan.lead.name
        super().__init__(
            f"该企业已计划于 {day} 由 {lead} 走访，请加入该次走访，避免重复打扰企业。"
            f" Join the visit planned on {day} with {lead} (plan {plan.plan_id}): POST …/plans/{plan.plan_id}/join."
        )
        self.plan = plan


class UnknownPlan(Refused):
    def __init__(self, plan_id: str):
        super().__init__(f"unknown plan: {plan_id}")
        self.plan_id = plan_id


class PlanClosed(Refused):
    """The plan is done or cancelled: it can no longer be joined, carried out or cancelled."""

    def __init__(self, plan):
        super().__init__(f"plan {plan.plan_id} is {plan.status}, not planned any more")
        self.plan = plan
