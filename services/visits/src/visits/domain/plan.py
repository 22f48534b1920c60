"""A planned visit (走访计划): the day, the lead and the officials invited to go with them, the purpose. Its life:
planned → done (a visit logged with its plan_id) or cancelled (with a reason); while planned, others join it
(联合走访) instead of visiting on their own, and the disturbance guard steers new plans and routine visits to it."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Optional

from contracts import events

PLANNED, DONE, CANCELLED = "planned", "done", "cancelled"


@dataclass(frozen=True)
class Plan:
    plan_id: str
    enterprise_id: str
    planned_on: date
    lead: events.Official
    invited: tuple[events.Official, ...] = ()
    purpose: str = ""
    campaign_id: Optional[str] = None
    joined: tuple[events.Official, ...] = ()  # who joined after it was planned
    status: str = PLANNED
    visit_id: Optional[str] = None  # the visit that carried it out
    visited_on: Optional[date] = None
    visitor_ids: tuple[str, ...] = ()  # who went, as that visit names them
    cancelled_on: Optional[date] = None
    reason: Optional[str] = None  # why it was cancelled
    recorded_by: Optional[str] = None  # who made its latest change (planned, joined, cancelled, done), and when
    recorded_at: Optional[datetime] = None

    @property
    def open(self) -> bool:
        return self.status == PLANNED

    @property
    def officials(self) -> tuple[events.Official, ...]:
        """Everyone going: the lead first, then the invited, then who joined."""
        return (self.lead, *self.invited, *self.joined)

    def includes(self, official_id: str) -> bool:
        return any(o.official_id == official_id for o in self.officials)

    def planned(self) -> events.VisitPlanned:
        return events.VisitPlanned(
            plan_id=self.plan_id, enterprise_id=self.enterprise_id, planned_on=self.planned_on, lead=self.lead,
            invited=list(self.invited), purpose=self.purpose, campaign_id=self.campaign_id,
        )

    def with_joined(self, official: events.Official) -> "Plan":
        return replace(self, joined=(*self.joined, official))

    def done_by(self, visit_id: str, visited_on: date, visitor_ids: tuple[str, ...]) -> "Plan":
        return replace(self, status=DONE, visit_id=visit_id, visited_on=visited_on, visitor_ids=visitor_ids)

    def stamped(self, by: Optional[str], at: Optional[datetime]) -> "Plan":
        return replace(self, recorded_by=by, recorded_at=at)

    def cancelled(self, on: date, reason: str) -> "Plan":
        return replace(self, status=CANCELLED, cancelled_on=on, reason=reason)

    def offer(self) -> dict:
        """How a refusal names this plan, so that the caller can join it in one step."""
        return {"plan_id": self.plan_id, "planned_on": self.planned_on.isoformat(), "lead": self.lead.model_dump(mode="json")}
