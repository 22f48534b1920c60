"""企业走访日: a campaign of visits on a day (or days) to the enterprises in scope, with the county leaders invited,
each of whom accepts or declines. Its plans are made from it, one per enterprise; afterwards it shows planned
against done per enterprise and per leader."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence

from contracts import events
from visits.domain.history import Recorded
from visits.domain.officials import Official
from visits.domain.plan import DONE, Plan
from visits.domain.refusals import BadValue
from visits.domain.submission import Submission

if TYPE_CHECKING:
    from visits.domain.enterprise import Enterprise


@dataclass(frozen=True)
class Answer:
    accepted: bool
    reason: str = ""


@dataclass(eq=False)
class Campaign(Recorded):
    township: str
    campaign_id: str
    name: str
    days: tuple[date, ...]
    enterprise_ids: tuple[str, ...]
    invited: tuple[events.Official, ...]  # the county leaders invited
    host: events.Official  # the township's official who goes where no accepting leader is assigned
    answers: dict[str, Answer] = field(default_factory=dict)  # official_id → the latest answer
    submission: Optional[Submission] = None
    recorded_by: Optional[str] = None  # who made its latest change (announced, an answer), and when
    recorded_at: Optional[datetime] = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def announce(
        cls,
        *,
        township: str,
        campaign_id: str,
        name: str,
        days: Sequence[date],
        enterprise_ids: Sequence[str],
        invited: Sequence[Official],
        host: Official,
        today: date,
        submission: Optional[Submission] = None,
        by: Optional[str] = None,
        at: Optional[datetime] = None,
    ) -> tuple["Campaign", list[events.Payload]]:
        if not days:
            raise BadValue("days", "a campaign needs at least one day")
        if min(days) < today:
            raise BadValue("days", f"a campaign's days are today or later (today is {today.isoformat()})")
        if host.official_id in {o.official_id for o in invited}:
            raise BadValue("host_id", "the host is not also one of the invited")
        campaign = cls(
            township=township, campaign_id=campaign_id, name=name, days=tuple(sorted(set(days))),
            enterprise_ids=tuple(enterprise_ids), invited=tuple(o.as_named() for o in invited), host=host.as_named(),
            submission=submission,
        )
        campaign.record("announced", by, at)
        announced = events.CampaignAnnounced(
            campaign_id=campaign_id, name=name, days=list(campaign.days), enterprise_ids=list(campaign.enterprise_ids),
            invited=list(campaign.invited),
        )
        return campaign, [announced]

    def answer(self, official_id: str, accepted: bool, reason: str = "", by: Optional[str] = None,
               at: Optional[datetime] = None) -> list[events.Payload]:
        """An invited leader accepts or declines (with a reason); a changed answer replaces the earlier one."""
        if official_id not in {o.official_id for o in self.invited}:
            raise BadValue("official_id", f"{official_id} is not invited to this campaign")
        reason = (reason or "").strip()
        if not accepted and not reason:
            raise BadValue("reason", "a declined invitation needs a reason")
        new = Answer(accepted, reason)
        if self.answers.get(official_id) == new:
            return []  # the same answer again: nothing happened
        self.answers[official_id] = new
        self.record("answered", by, at, official_id=official_id, accepted=accepted)
        return [events.CampaignInvitationAnswered(campaign_id=self.campaign_id, official_id=official_id,
                                                  accepted=accepted, reason=reason)]

    def answer_of(self, official_id: str) -> str:
        found = self.answers.get(official_id)
        return "pending" if found is None else "accepted" if found.accepted else "declined"

    def accepted(self) -> list[events.Official]:
        return [o for o in self.invited if self.answer_of(o.official_id) == "accepted"]

    def plan_id_for(self, enterprise_id: str) -> str:
        """One plan per enterprise and campaign: making the plans again makes none twice."""
        return f"p-{self.campaign_id}-{enterprise_id}"

    def day_for(self, enterprise_id: str) -> date:
        """The enterprises in scope, in their order, take the campaign's days in turn."""
        return self.days[self.enterprise_ids.index(enterprise_id) % len(self.days)]

    def plan_for(self, enterprise: "Enterprise") -> Plan:
        """The enterprise's plan: led by the first accepting leader assigned (包抓) to it on the day, with the other
        accepting leaders assigned to it and the host; where none is assigned, the host leads alone."""
        day = self.day_for(enterprise.enterprise_id)
        assigned = set(enterprise.assigned_on(day))
        going = [o for o in self.accepted() if o.official_id in assigned]
        lead, *rest = going or [self.host]
        invited = [*rest, self.host] if going else []
        return Plan(
            plan_id=self.plan_id_for(enterprise.enterprise_id), enterprise_id=enterprise.enterprise_id,
            planned_on=day, lead=lead, invited=tuple(invited), purpose=self.name, campaign_id=self.campaign_id,
        )

    def progress(self, plans: Mapping[str, Optional[Plan]]) -> dict:
        """Planned against done, per enterprise (its plan and what became of it) and per leader (the plans they are
        in, and of those the ones done with them among the visitors). `plans`: enterprise_id → its campaign plan."""
        rows = []
        for eid in self.enterprise_ids:
            plan = plans.get(eid)
            rows.append({
                "enterprise_id": eid,
                "plan_id": plan.plan_id if plan else None,
                "planned_on": plan.planned_on.isoformat() if plan else None,
                "lead": plan.lead.model_dump(mode="json") if plan else None,
                "status": plan.status if plan else "not_planned",
                "visit_id": plan.visit_id if plan else None,
                "visited_on": plan.visited_on.isoformat() if plan and plan.visited_on else None,
            })
        made = [p for p in plans.values() if p is not None]
        leaders = []
        for official, answer in [*((o, self.answer_of(o.official_id)) for o in self.invited), (self.host, "host")]:
            theirs = [p for p in made if p.includes(official.official_id)]
            done = [p for p in theirs if p.status == DONE and official.official_id in p.visitor_ids]
            leaders.append({**official.model_dump(mode="json"), "answer": answer, "planned": len(theirs), "done": len(done)})
        return {
            "campaign_id": self.campaign_id,
            "enterprises": rows,
            "leaders": leaders,
            "totals": {
                "enterprises": len(self.enterprise_ids),
                "planned": len(made),
                "done": sum(p.status == DONE for p in made),
                "cancelled": sum(p.status == "cancelled" for p in made),
            },
        }
