"""Mongo adapter of the issues service: one document per issue carrying its history and its outbox.
Every change is one update_one compare-and-set on the issue's version: right with any number of replicas."""
from __future__ import annotations

from typing import Any, Optional

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from buildingblocks import outbox
from issues.calendar import YearSchedule, parse_schedule
from issues.rules import Rules

ISSUES, SETTINGS, CALENDAR = "issues", "township_settings", "calendar_years"
# {_id: "calendar", v: n}: bumped after every schedule saved, so every replica sees a new schedule on its next
# request that counts days (one lookup by _id) and rereads the few schedules only then.
CALENDAR_VERSION = "calendar_version"
OUTBOX_COLLECTIONS = [ISSUES]


def key(township: str, issue_id: str) -> str:
    return f"{township}:{issue_id}"


class Repository:
    def __init__(self, db: AsyncDatabase):
        self.db = db

    async def ensure_indexes(self) -> None:
        """What MongoDB 8 needs to serve every query below from an index (README: "The store")."""
        await self.db[ISSUES].create_index([("township", 1), ("status", 1), ("raised_on", 1), ("issue_id", 1)])
        await self.db[ISSUES].create_index([("township", 1), ("raised_on", 1), ("issue_id", 1)])
        await self.db[ISSUES].create_index([("township", 1), ("enterprise_id", 1), ("raised_on", 1)])
        await self.db[ISSUES].create_index([("status", 1), ("deadline_provisional", 1), ("township", 1)])

    async def insert(self, doc: dict[str, Any]) -> bool:
        """False when the issue exists already: intake is exactly-once by the issue's id."""
        try:
            await self.db[ISSUES].insert_one(doc)
        except DuplicateKeyError:
            return False
        outbox.written(ISSUES, doc["_id"], doc.get("outbox", []))
        return True

    async def get(self, township: str, issue_id: str) -> Optional[dict[str, Any]]:
        return await self.db[ISSUES].find_one({"_id": key(township, issue_id)})

    async def find(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        return await self.db[ISSUES].find(query, {"outbox": 0, outbox.UNSENT: 0}).sort([("raised_on", 1), ("issue_id", 1)]).to_list()

    async def change(self, doc: dict[str, Any], set_: dict[str, Any], history: dict[str, Any], event: dict) -> bool:
        """State, history and the event's outbox entry in one write, compare-and-set on `version`;
        False if someone changed the issue meanwhile."""
        update = {"$set": set_, "$inc": {"version": 1}, "$push": {"history": history, **outbox.push([event])}}
        result = await self.db[ISSUES].update_one({"_id": doc["_id"], "version": doc["version"]}, update)
        if result.modified_count != 1:
            return False
        outbox.written(ISSUES, doc["_id"], [event])
        return True

    async def rules(self, township: str) -> Rules:
        doc = await self.db[SETTINGS].find_one({"_id": township})
        return Rules.model_validate(doc["rules"]) if doc else Rules()

    async def set_rules(self, township: str, rules: Rules) -> None:
        await self.db[SETTINGS].update_one({"_id": township}, {"$set": {"rules": rules.model_dump(mode="json")}}, upsert=True)

    async def schedules(self) -> dict[int, YearSchedule]:
        return {d["_id"]: parse_schedule(d["schedule"]) async for d in self.db[CALENDAR].find({})}

    async def save_schedule(self, year: int, data: dict[str, Any]) -> None:
        await self.db[CALENDAR].update_one({"_id": year}, {"$set": {"schedule": data}}, upsert=True)
        await self.db[CALENDAR_VERSION].update_one({"_id": "calendar"}, {"$inc": {"v": 1}}, upsert=True)  # after

    async def calendar_version(self) -> int:
        doc = await self.db[CALENDAR_VERSION].find_one({"_id": "calendar"})
        return doc["v"] if doc else 0

    async def townships(self) -> list[str]:
        return sorted({d["township"] async for d in self.db[ISSUES].find({"status": "open"}, {"township": 1})})
