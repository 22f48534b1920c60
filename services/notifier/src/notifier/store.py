"""The notifier's Mongo mapper: the only code that knows its documents.

Collections (README, "The store"): `units`, `enterprises` (`_id` township:enterprise_id), `items` (the open-items view, `_id` township:issue_id),
`recipients` (`_id` unit:<id> / official:<id>), `settings` (`_id` "notices"), `notices` (`_id` = the notice id:
its uniqueness is what makes a notice once per event and recipient), `counters` (`_id` supervision:<year>, `$inc`),
`supervision_numbers` (`_id` = the escalation event's id → its number, so a redelivered event keeps its number),
`supervision` (`_id` = the number: the 督办单's contents) and `digests` (`_id` = the ISO week and the schedule: made).
Every write is one single-document upsert, insert or compare-and-set: right on redelivery and with replicas."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from notifier.domain import Notice, NoticeSettings, Person, UnitRecipients, supervision_number

STAMP = ("recorded_by", "recorded_at")

SETTINGS_ID = "notices"
OPEN = "open"


def item_key(township: str, issue_id: str) -> str:
    return f"{township}:{issue_id}"


class Store:
    def __init__(self, db: AsyncDatabase):
        self.db = db

    async def ensure_indexes(self) -> None:
        # For MongoDB 8 (mongo-java-server scans): the sender's due query and the list's filters.
        await self.db.notices.create_index([("status", 1), ("due_at", 1)])
        await self.db.notices.create_index([("township", 1), ("created_at", -1)])
        await self.db.items.create_index([("status", 1), ("enterprise_id", 1)])

    # ---- the views the events keep ----

    async def put_unit(self, unit_id: str, township: str, fields: dict[str, Any]) -> None:
        await self.db.units.update_one({"_id": unit_id}, {"$set": {**fields, "township": township}}, upsert=True)

    async def unit(self, unit_id: Optional[str]) -> Optional[dict[str, Any]]:
        return await self.db.units.find_one({"_id": unit_id}) if unit_id else None

    async def put_enterprise(self, enterprise_id: str, township: str, name: str, officials: list[dict]) -> None:
        # Per township: an enterprise on two townships' lists has each township's 包抓 leaders.
        await self.db.enterprises.update_one(
            {"_id": item_key(township, enterprise_id)},
            {"$set": {"enterprise_id": enterprise_id, "name": name, "township": township, "officials": officials}},
            upsert=True)

    async def enterprise(self, township: str, enterprise_id: Optional[str]) -> Optional[dict[str, Any]]:
        return await self.db.enterprises.find_one({"_id": item_key(township, enterprise_id)}) if enterprise_id else None

    async def enterprises_with_officials(self) -> list[dict[str, Any]]:
        return [e async for e in self.db.enterprises.find({"officials.0": {"$exists": True}})]

    async def put_item(self, township: str, issue_id: str, fields: dict[str, Any]) -> None:
        """Set `fields` (None included: a re-routing to a free-text unit clears the unit id)."""
        await self.db.items.update_one({"_id": item_key(township, issue_id)},
                                       {"$set": {**fields, "township": township, "issue_id": issue_id}}, upsert=True)

    async def item(self, township: str, issue_id: str) -> Optional[dict[str, Any]]:
        return await self.db.items.find_one({"_id": item_key(township, issue_id)})

    async def open_items(self) -> list[dict[str, Any]]:
        return [i async for i in self.db.items.find({"status": OPEN}).sort("deadline", 1)]

    # ---- configuration ----

    async def unit_recipients(self, unit_id: str) -> Optional[UnitRecipients]:
        doc = await self.db.recipients.find_one({"_id": f"unit:{unit_id}"})
        return UnitRecipients.model_validate(doc["config"]) if doc else None

    async def official_recipients(self, official_id: str) -> Optional[Person]:
        doc = await self.db.recipients.find_one({"_id": f"official:{official_id}"})
        return Person.model_validate(doc["config"]) if doc else None

    async def put_recipients(self, key: str, config: dict[str, Any], by: Optional[str], at: str) -> None:
        await self.db.recipients.update_one({"_id": key}, {"$set": {"config": config, "recorded_by": by, "recorded_at": at}},
                                            upsert=True)

    async def configured(self, collection: str, key: str) -> Optional[dict[str, Any]]:
        """A configuration as set, with who set it last and when, in one read; None if never set."""
        doc = await self.db[collection].find_one({"_id": key})
        return {**doc["config"], **{k: doc.get(k) for k in STAMP}} if doc else None

    async def settings(self) -> NoticeSettings:
        doc = await self.db.settings.find_one({"_id": SETTINGS_ID})
        return NoticeSettings.model_validate(doc["config"]) if doc else NoticeSettings()

    async def put_settings(self, config: NoticeSettings, by: Optional[str], at: str) -> None:
        await self.db.settings.update_one(
            {"_id": SETTINGS_ID}, {"$set": {"config": config.model_dump(mode="json"), "recorded_by": by, "recorded_at": at}},
            upsert=True)

    # ---- 督办单 ----

    async def number_for(self, event_id: str, year: int) -> str:
        """The escalation event's number, assigned once: a redelivered event finds the one it got. A crash between
        the counter's `$inc` and the insert leaves that sequence number unused (a gap, never a duplicate)."""
        found = await self.db.supervision_numbers.find_one({"_id": event_id})
        if found:
            return found["number"]
        counter = await self.db.counters.find_one_and_update(
            {"_id": f"supervision:{year}"}, {"$inc": {"seq": 1}}, upsert=True, return_document=ReturnDocument.AFTER)
        number = supervision_number(year, counter["seq"])
        try:
            await self.db.supervision_numbers.insert_one({"_id": event_id, "number": number})
        except DuplicateKeyError:  # another consumer of the same event got there first
            return (await self.db.supervision_numbers.find_one({"_id": event_id}))["number"]
        return number

    async def put_supervision(self, sheet: dict[str, Any]) -> dict[str, Any]:
        """Written once per number; a redelivery keeps the first contents."""
        await self.db.supervision.update_one({"_id": sheet["number"]}, {"$setOnInsert": sheet}, upsert=True)
        return await self.supervision(sheet["number"])

    async def supervision(self, number: str) -> Optional[dict[str, Any]]:
        doc = await self.db.supervision.find_one({"_id": number})
        if doc:
            doc.pop("_id", None)
        return doc

    # ---- notices ----

    async def add_notices(self, notices: list[Notice]) -> int:
        """Insert each notice unless its id exists (then it was made before: nothing changes). → how many are new."""
        added = 0
        for n in notices:
            try:
                await self.db.notices.insert_one(_notice_doc(n))
                added += 1
            except DuplicateKeyError:
                pass
        return added

    async def due(self, now: datetime, limit: int = 100) -> list[dict[str, Any]]:
        query = {"status": {"$in": ["pending", "held"]}, "due_at": {"$lte": now}}
        return [d async for d in self.db.notices.find(query).sort("due_at", 1).limit(limit)]

    async def hold(self, notice_id: str, until: datetime) -> None:
        await self.db.notices.update_one({"_id": notice_id, "status": {"$in": ["pending", "held"]}},
                                         {"$set": {"status": "held", "due_at": until}})

    async def sent(self, notice_id: str, at: datetime) -> None:
        await self.db.notices.update_one({"_id": notice_id, "status": {"$in": ["pending", "held"]}},
                                         {"$set": {"status": "sent", "sent_at": at, "due_at": None},
                                          "$inc": {"attempts": 1}})

    async def attempt_failed(self, notice_id: str, error: str, retry_at: Optional[datetime], at: datetime) -> None:
        """A failed attempt: recorded; retried at `retry_at`, or failed for good when None."""
        change = {"last_error": error[:500], "last_attempt_at": at, "status": "pending" if retry_at else "failed",
                  "due_at": retry_at}
        await self.db.notices.update_one({"_id": notice_id, "status": {"$in": ["pending", "held"]}},
                                         {"$set": change, "$inc": {"attempts": 1}})

    async def notices(self, query: dict[str, Any], limit: int = 1000) -> list[dict[str, Any]]:
        return [d async for d in self.db.notices.find(query).sort("created_at", -1).limit(limit)]

    # ---- the weekly digest ----

    async def digest_done(self, week: str) -> bool:
        return await self.db.digests.find_one({"_id": week}) is not None

    async def mark_digest(self, week: str, at: datetime, notices: int) -> None:
        await self.db.digests.update_one({"_id": week}, {"$setOnInsert": {"made_at": at, "notices": notices}},
                                         upsert=True)


def _notice_doc(n: Notice) -> dict[str, Any]:
    return {
        "_id": n.notice_id, "notice_id": n.notice_id, "kind": n.kind, "township": n.township, "issue_id": n.issue_id,
        "number": n.number, "source": n.source, "recipient": n.to.recipient, "recipient_name": n.to.name,
        "channel": n.to.channel, "address": n.to.address, "format": n.to.format,
        "title": n.message.title, "lines": list(n.message.lines),
        "status": "pending", "attempts": 0, "last_error": None, "created_at": n.created_at, "due_at": n.created_at,
        "sent_at": None, **n.extra,
    }


def shown(doc: dict[str, Any]) -> dict[str, Any]:
    """A notice as GET /api/v1/notices lists it."""
    keys = ("notice_id", "kind", "township", "issue_id", "number", "recipient", "recipient_name", "channel",
            "address", "status", "attempts", "last_error", "created_at", "sent_at", "due_at", "title")
    return {k: doc.get(k) for k in keys}
