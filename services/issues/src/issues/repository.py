"""Mongo adapter of the issues service: one document per issue carrying its history and its outbox.
Every change is one update_one guarded by the issue's version (FerretDB 1.24: one update per command)."""
from __future__ import annotations

from typing import Any, Optional

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from buildingblocks import locks, outbox
from issues.calendar import YearSchedule, parse_schedule
from issues.rules import Rules

ISSUES, SETTINGS, CALENDAR = "issues", "township_settings", "calendar_years"
OUTBOX_COLLECTIONS = [ISSUES]


def key(township: str, issue_id: str) -> str:
    return f"{township}:{issue_id}"


class Repository:
    def __init__(self, db: AsyncDatabase):
        self.db = db

    async def ensure_indexes(self) -> None:
        await self.db[ISSUES].create_index([("township", 1), ("status", 1)])

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
        return await self.db[ISSUES].find(query, {"outbox": 0}).sort([("raised_on", 1), ("issue_id", 1)]).to_list()

    async def change(self, doc: dict[str, Any], set_: dict[str, Any], history: dict[str, Any], event: dict) -> bool:
        """State, history and the event's outbox entry in one write, compare-and-set on `version`;
        False if someone changed the issue meanwhile."""
        update = {"$set": set_, "$inc": {"version": 1}, "$push": {"history": history, "outbox": event}}
        async with locks.document(ISSUES, doc["_id"]):
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

    async def townships(self) -> list[str]:
        return sorted({d["township"] async for d in self.db[ISSUES].find({"status": "open"}, {"township": 1})})
