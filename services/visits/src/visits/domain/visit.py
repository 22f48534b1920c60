"""A visit to an enterprise: who went (the lead first), what they brought, what the enterprise asked for."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Optional, Protocol, Sequence

from contracts import events
from contracts.enums import Channel, IssueCategory, Service, VisitKind
from visits.domain.guard import PastVisit
from visits.domain.officials import Official
from visits.domain.refusals import BadValue, VisitInFuture
from visits.domain.submission import Submission

if TYPE_CHECKING:
    from visits.domain.enterprise import Enterprise


class Asked(Protocol):
    """A demand as the clerk writes it down; the visit numbers it."""

    category: IssueCategory
    description: str
    resolved_on_spot: bool


def refuse_future(day: date, today: date) -> None:
    if day > today:
        raise VisitInFuture(today)


@dataclass(frozen=True)
class Visit:
    township: str
    visit_id: str
    enterprise_id: str
    enterprise_name: str
    visited_on: date
    channel: Channel
    kind: VisitKind
    visitors: tuple[events.Official, ...]  # the first is the lead
    services: tuple[Service, ...]
    summary: str
    demands: tuple[events.Demand, ...]
    override_reason: Optional[str]
    logged_at: datetime
    submission: Optional[Submission] = None
    plan_id: Optional[str] = None  # the planned visit this one carries out
    recorded_by: Optional[str] = None  # the token's name of who logged it (recorded at `logged_at`)

    @classmethod
    def log(
        cls,
        *,
        visit_id: str,
        enterprise: "Enterprise",
        visited_on: date,
        channel: Channel,
        kind: VisitKind,
        visitors: Sequence[Official],
        services: Sequence[Service] = (),
        summary: str = "",
        demands: Sequence[Asked] = (),
        override_reason: Optional[str] = None,
        today: date,
        logged_at: datetime,
        submission: Optional[Submission] = None,
        plan_id: Optional[str] = None,
        by: Optional[str] = None,
    ) -> "Visit":
        """A visit as reported, judged on `today`. Whether the enterprise accepts it is `Enterprise.log`'s call."""
        refuse_future(visited_on, today)
        ids = [o.official_id for o in visitors]
        if not ids:
            raise BadValue("visitor_ids", "a visit needs at least one official")
        if len(set(ids)) != len(ids):
            raise BadValue("visitor_ids", "an official is listed twice")
        if kind is VisitKind.joint and len(ids) < 2:
            raise BadValue("visitor_ids", "a joint visit needs at least two officials")
        numbered = tuple(
            events.Demand(demand_id=f"{visit_id}-d{n}", category=d.category, description=d.description,
                          resolved_on_spot=d.resolved_on_spot)
            for n, d in enumerate(demands, 1)
        )
        return cls(
            township=enterprise.township, visit_id=visit_id, enterprise_id=enterprise.enterprise_id,
            enterprise_name=enterprise.name, visited_on=visited_on, channel=channel, kind=kind,
            visitors=tuple(o.as_named() for o in visitors), services=tuple(services), summary=summary,
            demands=numbered, override_reason=override_reason, logged_at=logged_at, submission=submission,
            plan_id=plan_id,
            recorded_by=by,
        )

    @property
    def lead(self) -> events.Official:
        return self.visitors[0]

    @property
    def joint(self) -> bool:
        return self.kind is VisitKind.joint

    def as_past(self) -> PastVisit:
        """The visit as the guard remembers it."""
        return PastVisit(self.visit_id, self.visited_on, self.lead.name)

    def logged(self) -> events.VisitLogged:
        return events.VisitLogged(
            visit_id=self.visit_id,
            enterprise_id=self.enterprise_id,
            visited_on=self.visited_on,
            channel=self.channel,
            kind=self.kind,
            visitors=list(self.visitors),
            services=list(self.services),
            summary=self.summary,
            demands=list(self.demands),
            override_reason=self.override_reason,
            plan_id=self.plan_id,
        )
