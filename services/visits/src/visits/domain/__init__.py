"""The visits domain, pure (no storage, no I/O, no clock of its own: "today" is given): enterprises with their
包抓 officials and visit log, visits, and the disturbance guard. Methods keep the rules and return the events
they cause; refusals are `Refused` exceptions."""
from visits.domain.assignments import Assignment, assigned_on
from visits.domain.campaign import Answer, Campaign
from visits.domain.enterprise import Enterprise
from visits.domain.guard import DEFAULT_QUIET_DAYS, GuardDecision, PastVisit, disturbance_guard, planned_nearby
from visits.domain.officials import Official, known
from visits.domain.plan import CANCELLED, DONE, PLANNED, Plan
from visits.domain.refusals import (
    AssignmentOverlaps,
    BadValue,
    JoinPlanned,
    KeyReused,
    NoCurrentAssignment,
    PlanClosed,
    Refused,
    TooSoon,
    UnknownOfficials,
    UnknownPlan,
    VisitInFuture,
)
from visits.domain.registry import SEED_COUNTY, SEED_TOWNSHIPS
from visits.domain.submission import Submission
from visits.domain.visit import Visit, refuse_future

__all__ = [
    "Assignment", "AssignmentOverlaps", "BadValue", "DEFAULT_QUIET_DAYS", "Enterprise", "GuardDecision", "KeyReused",
    "NoCurrentAssignment", "Official", "PastVisit", "Refused", "SEED_COUNTY", "SEED_TOWNSHIPS", "Submission",
    "TooSoon", "UnknownOfficials", "Visit", "VisitInFuture", "assigned_on", "disturbance_guard", "known",
    "refuse_future", "Answer", "Campaign", "planned_nearby", "CANCELLED", "DONE", "PLANNED", "Plan", "JoinPlanned",
    "PlanClosed", "UnknownPlan",
]
