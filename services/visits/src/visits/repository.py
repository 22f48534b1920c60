"""Mongo adapter of the visits service. One document per official, enterprise and visit; each write that
publishes carries its events in the same document (the outbox). Every change of an existing document is one
update_one by `_id`, compare-and-set where a decision was read first: correct with any number of replicas on
MongoDB 8 and on mongo-java-server, both atomic per document."""
from __future__ import annotations

from typing import Any, Optional

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from buildingblocks import outbox
from visits.domain import DEFAULT_QUIET_DAYS, SEED_COUNTY, SEED_TOWNSHIPS

OFFICIALS, ENTERPRISES, VISITS, SETTINGS = "officials", "enterprises", "visits", "township_settings"
TOWNSHIPS = "townships"  # the registry: {_id: township id, township, name, county}
OUTBOX_COLLECTIONS = [ENTERPRISES, VISITS]
HIDDEN = {"_id": 0, "outbox": 0, outbox.UNSENT: 0, "request_hash": 0, "pending_visits": 0}
# The disturbance guard's state on the enterprise document: the compact log of its visits, the version every
# reservation compares and sets, and the visits reserved but not yet confirmed stored (see handlers.log_visit).
GUARD_LOG, GUARD_VERSION, PENDING = "visit_log", "guard_version", "pending_visits"
LAST_VISIT = "last_visit"  # the guard entry of the latest visit (by visited_on), set by every reservation


def key(township: str, *parts: str) -> str:
    return ":".join((township, *parts))


def _registry_entry(doc: dict[str, Any]) -> dict[str, Any]:
    return {"township": doc["_id"], "name": doc.get("name"), "county": doc.get("county")}


class AlreadyExists(Exception):
    def __init__(self, existing: Optional[dict[str, Any]]):
        self.existing = existing


class Repository:
    def __init__(self, db: AsyncDatabase):
        self.db = db

    async def ensure_indexes(self) -> None:
        """What MongoDB 8 needs to serve every query below from an index (README: "The store")."""
        await self.db[VISITS].create_index([("township", 1), ("visited_on", -1), ("visit_id", 1)])
        await self.db[VISITS].create_index([("township", 1), ("enterprise_id", 1), ("visited_on", -1), ("visit_id", 1)])
        await self.db[ENTERPRISES].create_index([("township", 1), ("enterprise_id", 1)])
        await self.db[ENTERPRISES].create_index([(f"{PENDING}.visit_id", 1)])
        await self.db[OFFICIALS].create_index([("township", 1), ("official_id", 1)])

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

    async def enterprises(self, township: str, with_log: bool = False) -> list[dict[str, Any]]:
        """A township's enterprises; their visit logs (which grow with every visit) only when asked for."""
        hidden = HIDDEN if with_log else {**HIDDEN, GUARD_LOG: 0}
        return await self.db[ENTERPRISES].find({"township": township}, hidden).sort("enterprise_id").to_list()

    async def replace_assignments(self, township: str, enterprise_id: str, version: int, assignments: list) -> bool:
        """Compare-and-set on the enterprise's version: a concurrent change makes this return False."""
        result = await self.db[ENTERPRISES].update_one(
            {"_id": key(township, enterprise_id), "version": version},
            {"$set": {"assignments": assignments}, "$inc": {"version": 1}},
        )
        return result.modified_count == 1

    async def reserve_visit(self, enterprise: dict[str, Any], log: list[dict[str, Any]], entry: dict[str, Any],
                            visit: dict[str, Any]) -> bool:
        """Compare-and-set on the guard version read with `enterprise`: the visit's guard entry joins the log and the
        whole visit is kept as pending, in one write. False if another reservation came first (decide again).
        `log` is what the decision read: the enterprise's log, or for one registered before the log, its visits."""
        # The latest visit rides along, so the registry lists it without reading any visit (flat in history).
        latest = max(filter(None, [enterprise.get(LAST_VISIT), entry]), key=lambda v: (v["visited_on"], v["visit_id"]))
        update: dict[str, Any] = {"$push": {PENDING: visit}, "$inc": {GUARD_VERSION: 1}, "$set": {LAST_VISIT: latest}}
        if GUARD_LOG in enterprise:
            update["$push"][GUARD_LOG] = entry
        else:
            latest = max([*log, entry], key=lambda v: (v["visited_on"], v["visit_id"]))
            update["$set"] = {GUARD_LOG: [*log, entry], LAST_VISIT: latest}
        result = await self.db[ENTERPRISES].update_one(
            {"_id": enterprise["_id"], GUARD_VERSION: enterprise.get(GUARD_VERSION)},  # None matches a missing field
            update,
        )
        return result.modified_count == 1

    async def store_reserved(self, township: str, enterprise_id: str, visit: dict[str, Any]) -> bool:
        """Insert a reserved visit (whoever gets there first: the request, its retry, the recovery pass), then drop
        it from the enterprise's pending ones. True if this call inserted it."""
        try:
            await self.db[VISITS].insert_one(visit)
            inserted = True
        except DuplicateKeyError:
            inserted = False
        if inserted:
            outbox.written(VISITS, visit["_id"], visit.get("outbox", []))
        await self.db[ENTERPRISES].update_one(
            {"_id": key(township, enterprise_id)}, {"$pull": {PENDING: {"visit_id": visit["visit_id"]}}}
        )
        return inserted

    async def with_pending_visits(self) -> list[dict[str, Any]]:
        """Enterprises holding reserved visits not confirmed stored (a process died in between): rare, so few."""
        found = self.db[ENTERPRISES].find({f"{PENDING}.visit_id": {"$gt": ""}}, {"township": 1, "enterprise_id": 1, PENDING: 1})
        return await found.to_list()

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

    async def seed_townships(self) -> None:
        """The registry's first townships, each only where absent: an edited name is never put back, and replicas
        starting together insert each once (the loser of a concurrent upsert gets a duplicate key: it exists)."""
        for township, name in SEED_TOWNSHIPS.items():
            doc = {"township": township, "name": name, "county": SEED_COUNTY}
            try:
                await self.db[TOWNSHIPS].update_one({"_id": township}, {"$setOnInsert": doc}, upsert=True)
            except DuplicateKeyError:
                pass

    async def townships(self) -> list[dict[str, Any]]:
        return [_registry_entry(d) for d in await self.db[TOWNSHIPS].find({}).sort("_id").to_list()]

    async def township(self, township: str) -> Optional[dict[str, Any]]:
        doc = await self.db[TOWNSHIPS].find_one({"_id": township})
        return _registry_entry(doc) if doc else None

    async def put_township(self, township: str, name: str, county: str) -> dict[str, Any]:
        doc = {"township": township, "name": name, "county": county}
        try:
            await self.db[TOWNSHIPS].update_one({"_id": township}, {"$set": doc}, upsert=True)
        except DuplicateKeyError:  # a concurrent upsert inserted it first: now it exists, so this one updates
            await self.db[TOWNSHIPS].update_one({"_id": township}, {"$set": doc})
        return doc
