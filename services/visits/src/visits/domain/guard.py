"""The disturbance guard: whether a visit would disturb an enterprise again too soon."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterable, Optional

DEFAULT_QUIET_DAYS = 14


@dataclass(frozen=True)
class PastVisit:
    visit_id: str
    visited_on: date
    lead: str  # the lead visitor's name, as a clerk would say it


@dataclass(frozen=True)
class GuardDecision:
    refused: bool
    nearest: Optional[PastVisit]
    quiet_until: Optional[date]  # the first day a routine visit is allowed again after `nearest`
    reason: str = ""


def disturbance_guard(
    past: Iterable[PastVisit],
    visited_on: date,
    quiet_days: int,
    *,
    joint: bool = False,
    override_reason: Optional[str] = None,
) -> GuardDecision:
    """Refuse a visit within `quiet_days` of another visit to the same enterprise (before or after it:
    visits are often logged late), unless it is a joint visit or carries an override reason."""
    close = [p for p in past if abs((p.visited_on - visited_on).days) < quiet_days]
    nearest = max(close, key=lambda p: p.visited_on) if close else None
    if nearest is None:
        return GuardDecision(False, None, None)
    quiet_until = nearest.visited_on + timedelta(days=quiet_days)
    if joint or (override_reason and override_reason.strip()):
        return GuardDecision(False, nearest, quiet_until)
    reason = (
        f"the enterprise was visited on {nearest.visited_on.isoformat()} by {nearest.lead} (visit {nearest.visit_id}); "
        f"the quiet period is {quiet_days} days, so the next routine visit is allowed from {quiet_until.isoformat()}. "
        "Join that visit's officials in a joint visit, or give an override_reason."
    )
    return GuardDecision(True, nearest, quiet_until, reason)


def planned_nearby(plans: Iterable[Any], day: date, quiet_days: int, *, except_plan: Optional[str] = None):
    """The guard looking forward: the open planned visit (domain.plan.Plan) nearest to `day` within `quiet_days` of it (before or after),
    which a new plan or a routine visit should join instead of disturbing the enterprise again. None if there is none."""
    close = [
        p for p in plans
        if p.open and p.plan_id != except_plan and abs((p.planned_on - day).days) < quiet_days
    ]
    return min(close, key=lambda p: (abs((p.planned_on - day).days), p.planned_on, p.plan_id), default=None)

