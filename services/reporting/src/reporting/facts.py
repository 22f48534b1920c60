"""Pure: an event → the fact documents it adds. Facts are only ever inserted, never updated.

Each fact's `_id` is its natural key within the township, so a redelivered or duplicated event adds
nothing, and no fact depends on another having arrived first: order does not matter, and any number of
projector replicas can write the same facts at once.
"""
from __future__ import annotations

from datetime import timezone
from typing import Any

from contracts.envelope import CloudEvent
from contracts.events import (
    AssignmentEnded,
    AssignmentStarted,
    EnterpriseChanged,
    EnterpriseRegistered,
    FindingClosed,
    FindingRaised,
    IssueAcknowledged,
    IssueAssigned,
    IssueClosed,
    IssueDeadlineChanged,
    IssueFollowedUp,
    IssueRaised,
    IssueReopened,
    IssueReturned,
    TownshipRegistered,
    UnitRegistered,
    VisitLogged,
)

VISITS = "visits"
ENTERPRISES = "enterprises"
RAISED = "issues_raised"
CLOSED = "issue_closures"
REOPENED = "issue_reopenings"
DEADLINES = "issue_deadlines"
ASSIGNED = "issue_assignments"
ACKNOWLEDGED = "issue_acknowledgements"
RETURNED = "issue_returns"
FOLLOWED_UP = "issue_follow_ups"
FINDINGS_RAISED = "findings_raised"
FINDINGS_CLOSED = "finding_closures"
STARTS = "assignment_starts"  # 包抓 of an official to an enterprise, from started_on (scorecards.py)
ENDS = "assignment_ends"
ENTERPRISE_CHANGES = "enterprise_changes"
# A township's facts: what its reports are computed from (read by township).
COLLECTIONS = (VISITS, ENTERPRISES, RAISED, CLOSED, REOPENED, DEADLINES, ASSIGNED, ACKNOWLEDGED, RETURNED, FOLLOWED_UP,
               FINDINGS_RAISED, FINDINGS_CLOSED, STARTS, ENDS,
               ENTERPRISE_CHANGES)
# The unit registry: county-wide (a county unit works every township's issues), read whole for the units' names.
# Not a township's fact: a township with only units registered has no report, and the county report no "county" row.
UNITS = "units"
# The township registry (every TownshipRegistered): the Chinese names a bulletin prints. County-wide like the units.
TOWNSHIPS = "townships"
COUNTY_WIDE = (UNITS, TOWNSHIPS)
ALL_COLLECTIONS = (*COLLECTIONS, *COUNTY_WIDE)


def fact_key(township: str, *parts: str) -> str:
    return ":".join((township, *parts))


def facts_for(event: CloudEvent[Any]) -> list[tuple[str, dict[str, Any]]]:
    data = event.data
    if isinstance(data, VisitLogged):
        return [(VISITS, _visit(event, data))]
    if isinstance(data, EnterpriseRegistered):
        return [(ENTERPRISES, _enterprise(event, data))]
    if isinstance(data, EnterpriseChanged):
        return [(ENTERPRISE_CHANGES, _change(event, data))]
    if isinstance(data, IssueRaised):
        return [(RAISED, _issue_fact(event, data, raised_on=data.raised_on.isoformat(), deadline=data.deadline.isoformat(),
                                     responsible_unit=data.responsible_unit, unit_id=data.unit_id,
                                     description=data.description, source=data.source.value, visit_id=data.visit_id))]
    if isinstance(data, IssueClosed):
        # It repeats the issue's facts, so a close that arrives before its raise still counts the issue.
        return [(CLOSED, _close(event, data, satisfaction=data.satisfaction.value if data.satisfaction else None))]
    if isinstance(data, FindingRaised):
        return [(FINDINGS_RAISED, _issue_fact(
            event, data, raised_on=data.raised_on.isoformat(), deadline=data.deadline.isoformat(),
            responsible_unit=data.responsible_unit, unit_id=data.unit_id, subject_name=data.subject_name))]
    if isinstance(data, FindingClosed):
        return [(FINDINGS_CLOSED, _close(event, data, satisfaction=None, subject_name=data.subject_name))]
    if isinstance(data, IssueAcknowledged):
        return [(ACKNOWLEDGED, _issue_fact(
            event, data, unit_id=data.unit_id, responsible_unit=data.responsible_unit, assigned_on=data.assigned_on.isoformat(),
            acknowledged_on=data.acknowledged_on.isoformat(), working_days=data.working_days_to_acknowledge,
            on_time=data.on_time))]
    if isinstance(data, IssueReturned):
        return [(RETURNED, _issue_fact(event, data, unit_id=data.unit_id, responsible_unit=data.responsible_unit,
                                       returned_on=data.returned_on.isoformat()))]
    if isinstance(data, IssueFollowedUp):
        return [(FOLLOWED_UP, _issue_fact(event, data, followed_up_on=data.followed_up_on.isoformat(),
                                          satisfaction=data.satisfaction.value, unit_id=data.unit_id))]
    if isinstance(data, UnitRegistered):
        return [(UNITS, {"_id": fact_key(event.township, data.unit_id, event.id), "township": event.township,
                         "unit_id": data.unit_id, "name": data.name, "kind": data.kind.value,
                         "time": event.time.astimezone(timezone.utc).isoformat(), "event_id": event.id})]
    if isinstance(data, TownshipRegistered):
        return [(TOWNSHIPS, {"_id": fact_key(data.township_id, event.id), "township": data.township_id, "name": data.name,
                             "county": data.county, "time": event.time.astimezone(timezone.utc).isoformat(),
                             "event_id": event.id})]
    if isinstance(data, IssueReopened):
        return [(REOPENED, _issue_fact(event, data, reopened_on=data.reopened_on.isoformat(), deadline=data.deadline.isoformat()))]
    if isinstance(data, IssueAssigned):
        return [(ASSIGNED, _issue_fact(event, data, assigned_on=data.assigned_on.isoformat(), responsible_unit=data.responsible_unit,
                                       unit_id=data.unit_id))]
    if isinstance(data, IssueDeadlineChanged):
        return [(DEADLINES, _issue_fact(event, data, changed_on=data.changed_on.isoformat(), deadline=data.deadline.isoformat()))]
    if isinstance(data, AssignmentStarted):
        # Keyed by what it says: the same start told twice is one fact.
        return [(STARTS, {
            "_id": fact_key(event.township, data.enterprise_id, data.official.official_id, data.started_on.isoformat()),
            "township": event.township, "enterprise_id": data.enterprise_id, "official": data.official.model_dump(mode="json"),
            "started_on": data.started_on.isoformat(), "event_id": event.id,
        })]
    if isinstance(data, AssignmentEnded):
        return [(ENDS, {
            "_id": fact_key(event.township, data.enterprise_id, data.official_id, data.ended_on.isoformat()),
            "township": event.township, "enterprise_id": data.enterprise_id, "official_id": data.official_id,
            "ended_on": data.ended_on.isoformat(), "event_id": event.id,
        })]
    return []  # the other issue events (co-handling, progress, extensions, escalations) change no figure


def _close(event: CloudEvent[Any], data: Any, **fields: Any) -> dict[str, Any]:
    return _issue_fact(
        event, data, raised_on=data.raised_on.isoformat(), deadline=data.deadline.isoformat(),
        closed_on=data.closed_on.isoformat(), outcome=data.outcome.value, unit_id=data.unit_id,
        working_days=data.working_days_to_close, resolution=data.resolution, **fields)


def _issue_fact(event: CloudEvent[Any], data: Any, **fields: Any) -> dict[str, Any]:
    # One fact per event (keyed by its id): several closes of one issue are all kept, and the report picks.
    doc = {
        "_id": fact_key(event.township, data.issue_id, event.id),
        "township": event.township,
        "issue_id": data.issue_id,
        "enterprise_id": getattr(data, "enterprise_id", None),  # none for a finding
        "time": event.time.astimezone(timezone.utc).isoformat(),  # comparable as text
        "event_id": event.id,
        **fields,
    }
    if hasattr(data, "category"):
        doc["category"] = data.category.value
    return doc


def _visit(event: CloudEvent[Any], v: VisitLogged) -> dict[str, Any]:
    # Dates are kept as YYYY-MM-DD strings: they sort as dates and carry no time zone to misread.
    return {
        "_id": fact_key(event.township, v.visit_id),
        "township": event.township,
        "visit_id": v.visit_id,
        "enterprise_id": v.enterprise_id,
        "visited_on": v.visited_on.isoformat(),
        "channel": v.channel.value,
        "kind": v.kind.value,
        "visitors": [o.model_dump(mode="json") for o in v.visitors],
        "services": [s.value for s in v.services],
        "demands": len(v.demands),
        # For the ledger (台账) and the richer figures: each demand as told, and how many were resolved on the spot.
        "demand_list": [{"category": d.category.value, "description": d.description, "resolved_on_spot": d.resolved_on_spot}
                        for d in v.demands],
        "demands_on_spot": sum(d.resolved_on_spot for d in v.demands),
        "summary": v.summary,
        "event_id": event.id,
    }


def _enterprise(event: CloudEvent[Any], e: EnterpriseRegistered) -> dict[str, Any]:
    # One fact per event: two registrations of one enterprise (even on one day) are both kept; the report takes
    # the earliest date and the scorecards every official either names, whichever arrived first.
    return {
        "_id": fact_key(event.township, e.enterprise_id, e.registered_on.isoformat(), event.id),
        "township": event.township,
        "enterprise_id": e.enterprise_id,
        "name": e.name,
        "category": e.category.value,
        "registered_on": e.registered_on.isoformat(),
        "assigned_officials": [o.model_dump(mode="json") for o in e.assigned_officials],
        "event_id": event.id,
    }


def _change(event: CloudEvent[Any], c: EnterpriseChanged) -> dict[str, Any]:
    # One fact per event: the report takes, for each day, the status with the latest status_on (then time) before it.
    return {
        "_id": fact_key(event.township, c.enterprise_id, "changed", event.id),
        "township": event.township,
        "enterprise_id": c.enterprise_id,
        "status": c.status.value,
        "status_on": c.status_on.isoformat(),
        "time": event.time.astimezone(timezone.utc).isoformat(),
        "event_id": event.id,
    }
