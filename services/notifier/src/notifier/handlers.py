"""Events → the notifier's views and its notices (written pending; the sender delivers them).

A notice is made from what the views know when its event is handled, and written under an id derived from the event
id, recipient, channel and address: a redelivered event writes nothing new."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Optional

from buildingblocks.clock import Clock
from contracts.envelope import CloudEvent
from contracts.events import (
    EnterpriseRegistered,
    FindingClosed,
    FindingRaised,
    IssueAssigned,
    IssueClosed,
    IssueDeadlineChanged,
    IssueEscalated,
    IssueRaised,
    IssueReopened,
    UnitRegistered,
)
from notifier import domain
from notifier.domain import Address, Notice
from notifier.store import OPEN

log = logging.getLogger("notifier")


async def handle(store, event: CloudEvent[Any], clock: Clock) -> list[Notice]:
    """One event: update the views, then write its notices. → the notices it made (new or not)."""
    data, township = event.data, event.township
    now = clock.now()
    if isinstance(data, UnitRegistered):
        await store.put_unit(data.unit_id, township, {"name": data.name, "head": data.head,
                                                      "kind": data.kind.value, "active": data.active})
        return []
    if isinstance(data, EnterpriseRegistered):
        officials = [o.model_dump(mode="json") for o in data.assigned_officials]
        await store.put_enterprise(data.enterprise_id, township, data.name, officials)
        return []
    if isinstance(data, (IssueRaised, FindingRaised)):
        finding = isinstance(data, FindingRaised)
        await store.put_item(township, data.issue_id, {
            "kind": "finding" if finding else "issue", "status": OPEN, "level": "none",
            "enterprise_id": None if finding else data.enterprise_id,
            "subject_name": data.subject_name if finding else None,
            "category": data.category.value, "description": data.description,
            "deadline": data.deadline.isoformat(), "raised_on": data.raised_on.isoformat(),
            "unit_id": data.unit_id, "unit_name": data.responsible_unit})
        return await _new_issue(store, event, township, data.issue_id, data.unit_id, rerouted=False, now=now)
    if isinstance(data, IssueAssigned):
        await store.put_item(township, data.issue_id, {"unit_id": data.unit_id, "unit_name": data.responsible_unit})
        return await _new_issue(store, event, township, data.issue_id, data.unit_id, rerouted=True, now=now)
    if isinstance(data, (IssueClosed, FindingClosed)):
        await store.put_item(township, data.issue_id, {"status": "closed", "closed_on": data.closed_on.isoformat()})
        return []
    if isinstance(data, IssueReopened):
        await store.put_item(township, data.issue_id, {"status": OPEN, "level": "none",
                                                       "deadline": data.deadline.isoformat()})
        return []
    if isinstance(data, IssueDeadlineChanged):
        await store.put_item(township, data.issue_id, {"deadline": data.deadline.isoformat()})
        return []
    if isinstance(data, IssueEscalated):
        return await _escalated(store, event, township, data, now)
    return []


async def _issue_view(store, township: str, issue_id: str) -> dict[str, Any]:
    item = dict(await store.item(township, issue_id) or {"township": township, "issue_id": issue_id})
    enterprise = await store.enterprise(township, item.get("enterprise_id"))
    if enterprise:
        item["enterprise_name"] = enterprise["name"]
    unit = await store.unit(item.get("unit_id"))
    if unit:
        item["unit_name"] = unit["name"]
    return item


async def _unit_addresses(store, unit_id: Optional[str], name: str) -> list[Address]:
    if not unit_id:
        return []  # a free-text unit has no channels
    config = await store.unit_recipients(unit_id)
    return domain.addresses(f"unit:{unit_id}", name, config)


async def _new_issue(store, event, township, issue_id, unit_id, rerouted: bool, now: datetime) -> list[Notice]:
    issue = await _issue_view(store, township, issue_id)
    to = await _unit_addresses(store, unit_id, issue.get("unit_name") or unit_id or "")
    made = domain.notices_for("new_issue", event.id, township, issue_id, None, to,
                              domain.new_issue_message(issue, rerouted), now)
    await store.add_notices(made)
    return made


async def _escalated(store, event, township: str, data: IssueEscalated, now: datetime) -> list[Notice]:
    level = data.level.value
    await store.put_item(township, data.issue_id, {"level": level, "deadline": data.deadline.isoformat(),
                                                   "overdue_working_days": data.overdue_working_days})
    issue = await _issue_view(store, township, data.issue_id)
    unit_id = data.unit_id or issue.get("unit_id")
    unit = await store.unit(unit_id) or {}
    unit_name = unit.get("name") or issue.get("unit_name") or data.responsible_unit or ""
    if level == "blue":
        to = await _unit_addresses(store, unit_id, unit_name)
        made = domain.notices_for("reminder", event.id, township, data.issue_id, None, to,
                                  domain.reminder_message(issue, data.deadline.isoformat()), now)
        await store.add_notices(made)
        return made
    if level not in ("yellow", "red"):
        return []
    enterprise = await store.enterprise(township, data.enterprise_id or issue.get("enterprise_id")) or {}
    officials = enterprise.get("officials") or []
    number = await store.number_for(event.id, data.on.year)
    sheet = await store.put_supervision({
        "number": number, "level": level, "event_id": event.id, "township": township, "issue_id": data.issue_id,
        "kind": issue.get("kind", "issue"), "enterprise_id": data.enterprise_id or issue.get("enterprise_id"),
        "enterprise": enterprise.get("name") or issue.get("subject_name") or data.enterprise_id or "",
        "demand": issue.get("description") or "", "category": issue.get("category"),
        "deadline": data.deadline.isoformat(), "working_days_overdue": domain.working_days_overdue(
            data.overdue_working_days),
        "unit_id": unit_id, "unit": unit_name, "head": unit.get("head"),
        "leaders": [o["name"] for o in officials], "leader_ids": [o["official_id"] for o in officials],
        "issued_on": data.on.isoformat()})
    to: list[Address] = []
    if unit_id:
        config = await store.unit_recipients(unit_id)
        head = config.head if config else None
        if head is not None:
            to += domain.addresses(f"head:{unit_id}", head.name or unit.get("head") or unit_name, head)
        else:  # no head's own channels: the unit's, so the 督办单 still reaches it
            to += domain.addresses(f"unit:{unit_id}", unit_name, config)
    for official in officials:
        person = await store.official_recipients(official["official_id"])
        to += domain.addresses(f"official:{official['official_id']}", official["name"], person)
    made = domain.notices_for("supervision", event.id, township, data.issue_id, number, to,
                              domain.supervision_message(sheet), now)
    await store.add_notices(made)
    return made


async def make_digests(store, week: str, now: datetime, run: Optional[str] = None) -> list[Notice]:
    """The week's digest: each 包抓 leader with open items of their enterprises, to their own channels."""
    by_enterprise: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in await store.open_items():
        if item.get("enterprise_id"):
            by_enterprise.setdefault((item["township"], item["enterprise_id"]), []).append(item)
    leaders: dict[str, dict[str, Any]] = {}
    for enterprise in await store.enterprises_with_officials():
        items = by_enterprise.get((enterprise["township"], enterprise["enterprise_id"]), [])
        if not items:
            continue
        for official in enterprise["officials"]:
            entry = leaders.setdefault(official["official_id"], {"name": official["name"], "items": []})
            for item in items:
                unit = await store.unit(item.get("unit_id"))
                entry["items"].append({**item, "enterprise_name": enterprise["name"],
                                       "unit_name": (unit or {}).get("name") or item.get("unit_name")})
    made: list[Notice] = []
    for official_id, entry in sorted(leaders.items()):
        person = await store.official_recipients(official_id)
        to = domain.addresses(f"official:{official_id}", entry["name"], person)
        items = sorted(entry["items"], key=lambda i: (i.get("deadline") or "", i["issue_id"]))
        made += domain.notices_for("digest", f"digest:{official_id}:{week}", None, None, None, to,
                                   domain.digest_message(entry["name"], week, items), now)
    await store.add_notices(made)
    await store.mark_digest(run or week, now, len(made))
    return made
