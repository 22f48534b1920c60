"""Kafka entrypoint: every visit demand not resolved on the spot, and every DemandReported, becomes one issue, routed
to the category's default unit (the township's routing). A DemandReported keeps the sender's id and system (the
envelope's source), so the sender can match the closure to its own 工单."""
from __future__ import annotations

from buildingblocks.consumer import Received
from buildingblocks.service import Service
from contracts.enums import IssueSource
from contracts.events import DemandReported, VisitLogged
from contracts.topics import INTAKE, VISITS
from issues import domain
from issues.handlers import Context, raise_issue


async def take_in(ctx: Context, batch: list[Received]) -> None:
    for received in batch:
        event, data = received.event, received.event.data
        if isinstance(data, VisitLogged):
            for demand in data.demands:
                if demand.resolved_on_spot:
                    continue
                await raise_issue(
                    ctx, event.township, issue_id=domain.issue_id_for_demand(event.township, demand.demand_id),
                    enterprise_id=data.enterprise_id, category=demand.category, description=demand.description,
                    source=IssueSource.visit, raised_on=data.visited_on, by="intake:visit", visit_id=data.visit_id,
                    origin={"visit_id": data.visit_id, "demand_id": demand.demand_id, "event_id": event.id},
                )
        elif isinstance(data, DemandReported):
            await raise_issue(
                ctx, event.township, issue_id=domain.issue_id_for_report(event.source, data.external_id),
                enterprise_id=data.enterprise_id, category=data.category, description=data.description,
                source=data.source, raised_on=data.reported_on, by=f"intake:{event.source}",
                origin={"sender": event.source, "external_id": data.external_id, "event_id": event.id},
                external_id=data.external_id, source_system=event.source,
            )


def subscribe(service: Service, ctx: Context) -> None:
    service.consume([VISITS, INTAKE], lambda batch: take_in(ctx, batch))
