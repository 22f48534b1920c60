"""What the visits service knows of issues, for "my enterprises": whether each issue is open, from issues.v1.

One document per issue (`issue_states`, `_id` township:issue_id) holding the latest close and the latest reopening
as comparable text (`<date>|<UTC time>`), each written with `$max`: redelivered or reordered events give the same
document. Open: a raise or a reopening is known and no close is later than the latest reopening. An issue known only
from its close is closed. Nothing else of the issue is kept: the issues service answers for the rest."""
from __future__ import annotations

from datetime import timezone
from typing import Any, Iterable, Optional

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from contracts.envelope import CloudEvent
from contracts.events import IssueClosed, IssueRaised, IssueReopened

ISSUE_STATES = "issue_states"


def _at(day, event: CloudEvent[Any]) -> str:
    return f"{day.isoformat()}|{event.time.astimezone(timezone.utc).isoformat()}"


def update_for(event: CloudEvent[Any]) -> Optional[UpdateOne]:
    data = event.data
    if not isinstance(data, (IssueRaised, IssueClosed, IssueReopened)) or not data.enterprise_id:
        return None
    change: dict[str, Any] = {"$set": {"township": event.township, "issue_id": data.issue_id, "enterprise_id": data.enterprise_id}}
    if isinstance(data, IssueRaised):
        change["$set"]["raised"] = True
    elif isinstance(data, IssueClosed):
        change["$max"] = {"closed": _at(data.closed_on, event)}
    else:
        change["$max"] = {"reopened": _at(data.reopened_on, event)}
    return UpdateOne({"_id": f"{event.township}:{data.issue_id}"}, change, upsert=True)


def is_open(state: dict[str, Any]) -> bool:
    closed, reopened = state.get("closed"), state.get("reopened")
    if closed is None:
        return bool(state.get("raised") or reopened)
    return reopened is not None and reopened > closed


def open_counts(states: Iterable[dict[str, Any]]) -> dict[str, int]:
    """enterprise_id → its open issues."""
    counts: dict[str, int] = {}
    for s in states:
        if is_open(s):
            counts[s["enterprise_id"]] = counts.get(s["enterprise_id"], 0) + 1
    return counts


async def project(db: AsyncDatabase, events: Iterable[CloudEvent[Any]]) -> None:
    updates = [u for u in map(update_for, events) if u is not None]
    if updates:
        await db[ISSUE_STATES].bulk_write(updates, ordered=True)  # ordered: one issue's events in their order
