"""Mongo adapter of the visits service. One document per official, enterprise and visit; each write that
publishes carries its events in the same document (the outbox). Works on MongoDB 8 and FerretDB 1.24."""
from __future__ import annotations

from typing import Any, Optional

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from buildingblocks import locks, outbox
from visits.domain import DEFAULT_QUIET_DAYS

OFFICIALS, ENTERPRISES, VISITS, SETTINGS = "officials", "enterprises", "visits", "township_settings"
OUTBOX_COLLECTIONS = [ENTERPRISES, VISITS]
HIDDEN = {"_id": 0, "outbox": 0, "request_hash": 0}


def key(township: str, *parts: str) -> str:
    return ":".join((township, *parts))


class AlreadyExists(Exception):
    def __init__(self, existing: Optional[dict[str, Any]]):
        self.existing = existing


class Repository:
    def __init__(self, db: AsyncDatabase):
        self.db = db

    async def ensure_indexes(self) -> None:
        await self.db[VISITS].create_index([("township", 1), ("enterprise_id", 1), ("visited_on", 1)])
        await self.db[ENTERPRISES].create_index([("township", 1)])
        await self.db[OFFICIALS].create_index([("township", 1)])

    async def insert(self, collection: str, doc: dict[str, Any]) -> None:
        try:
            await self.db[collection].insert_one(doc)
        except DuplicateKeyError:
            raise AlreadyExists(await self.db[collection].find_one({"_id": doc["_id"]})) from None
        outbox.written(collection, doc["_id"], doc.get("outbox", []))

    async def officials(self, township: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        found = self.db[OFFICIALS].find({"_id": {"$in": [key(township, i) for i in ids]}}, {"_id": 0})
        return {d["official_id"]: d async for d in found}

    async def list_officials(self, township: str) -> list[dict[str, Any]]:
        return await self.db[OFFICIALS].find({"township": township}, {"_id": 0}).sort("official_id").to_list()

    async def enterprise(self, township: str, enterprise_id: str) -> Optional[dict[str, Any]]:
        return await self.db[ENTERPRISES].find_one({"_id": key(township, enterprise_id)})

    async def enterprises(self, township: str) -> list[dict[str, Any]]:
        return await self.db[ENTERPRISES].find({"township": township}, HIDDEN).sort("enterprise_id").to_list()

    async def replace_assignments(self, township: str, enterprise_id: str, version: int, assignments: list) -> bool:
        """Compare-and-set on the enterprise's version: a concurrent change makes this return False."""
        doc_id = key(township, enterprise_id)
        async with locks.document(ENTERPRISES, doc_id):
            result = await self.db[ENTERPRISES].update_one(
                {"_id": doc_id, "version": version}, {"$set": {"assignments": assignments}, "$inc": {"version": 1}}
            )
        return result.modified_count == 1

    async def note_visit(self, township: str, enterprise_id: str, visit: dict[str, Any]) -> None:
        doc_id = key(township, enterprise_id)
        async with locks.document(ENTERPRISES, doc_id):  # FerretDB: updates are read-modify-write
            await self.db[ENTERPRISES].update_one({"_id": doc_id}, {"$push": {"visit_log": visit}})

    async def visits(
        self, township: str, enterprise_id: Optional[str] = None, start: Optional[str] = None, end: Optional[str] = None
    ) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"township": township}
        if enterprise_id:
            query["enterprise_id"] = enterprise_id
        if start or end:
            query["visited_on"] = {k: v for k, v in (("$gte", start), ("$lte", end)) if v}
        return await self.db[VISITS].find(query, HIDDEN).sort([("visited_on", DESCENDING), ("visit_id", 1)]).to_list()

    async def visit(self, township: str, visit_id: str) -> Optional[dict[str, Any]]:
        return await self.db[VISITS].find_one({"_id": key(township, visit_id)})

    async def quiet_days(self, township: str) -> int:
        doc = await self.db[SETTINGS].find_one({"_id": township})
        return doc["quiet_period_days"] if doc else DEFAULT_QUIET_DAYS

    async def set_quiet_days(self, township: str, days: int) -> None:
        await self.db[SETTINGS].update_one({"_id": township}, {"$set": {"quiet_period_days": days}}, upsert=True)
