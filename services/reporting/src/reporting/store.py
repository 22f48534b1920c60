"""The projection store: inserts new facts in one unordered bulk insert per collection; duplicates are no-ops.

After every write it bumps the version of each township it wrote, in ONE document per generation
(`projection_versions`, `{_id: <generation>, n, v: {<township>: n}}`), with one `$inc`: every replica's read views
(views.py) check that document by `_id` before trusting what they keep."""
from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from pymongo import ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from reporting import names
from reporting.facts import COLLECTIONS, COUNTY_WIDE, ENTERPRISES, TOWNSHIPS, UNITS, VISITS

DUPLICATE_KEY = 11000
VERSIONS = "projection_versions"
TALLIES = "report_tallies"  # {_id: <generation>|<township>|<period>, version, tally}: what views.py computed
BODIES = "report_bodies"  # {_id: <generation>/county/<period>, count, shape, body}: the county report as sent
MAX_BODY = 12 * 1024 * 1024  # a stored document must stay under 16 MB; a larger body is only kept in memory


def versions_id(prefix: str) -> str:
    return prefix or "g1"


class Store:
    """The facts of one generation of the projections (see generations.py)."""

    def __init__(self, db: AsyncDatabase, prefix: str = ""):
        self.db = db
        self.prefix = prefix

    def _c(self, name: str):
        return self.db[self.prefix + name]

    async def ensure_indexes(self) -> None:
        """Every read of facts is by township (or of all of them): MongoDB 8 serves it from these."""
        await self._c(VISITS).create_index([("township", 1), ("visited_on", 1)])
        await self._c(ENTERPRISES).create_index([("township", 1), ("registered_on", 1)])
        for name in COLLECTIONS:
            if name not in (VISITS, ENTERPRISES):
                await self._c(name).create_index([("township", 1)])
        await self.db[TALLIES].create_index([("generation", 1)])  # dropping a generation drops its tallies
        await self.db[BODIES].create_index([("generation", 1)])

    async def versions(self) -> tuple[int, dict[str, int]]:
        """(writes so far, {township: writes of its facts so far}) of this generation: one lookup by `_id`."""
        doc = await self.db[VERSIONS].find_one({"_id": versions_id(self.prefix)})
        return (doc.get("n", 0), doc.get("v", {})) if doc else (0, {})

    async def touch(self, townships: set[str]) -> None:
        """Bump the versions of these townships (and the generation's count), after their facts are written."""
        if townships:
            inc = {"n": 1, **{f"v.{t}": 1 for t in townships}}  # township ids are [a-z0-9-]: safe as field names
            await self.db[VERSIONS].update_one({"_id": versions_id(self.prefix)}, {"$inc": inc}, upsert=True)

    def _body_id(self, period: str) -> str:
        return f"{versions_id(self.prefix)}/county/{period}"

    def _tally_id(self, township: str, period: str) -> str:
        return f"{versions_id(self.prefix)}/{township}/{period}"

    async def kept_tallies(self, townships: list[str], period: str) -> dict[str, tuple[int, dict[str, Any]]]:
        """The stored tallies of these townships for the period, with the version each was computed at: by `_id`."""
        ids = {self._tally_id(t, period): t for t in townships}
        found = self.db[TALLIES].find({"_id": {"$in": list(ids)}})
        return {ids[d["_id"]]: (d["version"], d["tally"]) async for d in found}

    async def keep_tallies(self, period: str, tallies: dict[str, tuple[int, dict[str, Any]]]) -> None:
        """Store tallies (township → (version, tally)) so that a restarted or another replica need not recompute
        them while their township's version stands; one with an older version is simply recomputed."""
        if tallies:
            await self.db[TALLIES].bulk_write([
                ReplaceOne({"_id": self._tally_id(t, period)}, {"version": v, "tally": doc, "generation": versions_id(self.prefix)},
                           upsert=True)
                for t, (v, doc) in tallies.items()
            ], ordered=False)

    async def kept_body(self, period: str) -> tuple[int, str, bytes] | None:
        """The county report body stored for the period: (the generation's write count it was made at, its shape,
        the bytes), by `_id`."""
        doc = await self.db[BODIES].find_one({"_id": self._body_id(period)})
        return (doc["count"], doc["shape"], bytes(doc["body"])) if doc else None

    async def keep_body(self, period: str, count: int, shape: str, body: bytes) -> None:
        if len(body) <= MAX_BODY:
            await self.db[BODIES].replace_one(
                {"_id": self._body_id(period)},
                {"count": count, "shape": shape, "body": body, "generation": versions_id(self.prefix)}, upsert=True)

    async def facts(self, township: str | list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
        """Every fact of a township, of some townships, or of the county; reports are computed in Python."""
        query = {"township": {"$in": township} if isinstance(township, list) else township} if township else {}
        found = await asyncio.gather(*(self._c(name).find(query, {"_id": 0}).to_list() for name in COLLECTIONS))
        return dict(zip(COLLECTIONS, found))  # the queries at once, not one after another

    async def fact_count(self) -> int:
        """About how many facts this generation holds (each collection's own count, no scan)."""
        counts = await asyncio.gather(*(self._c(name).estimated_document_count() for name in COLLECTIONS))
        return sum(counts)

    async def units(self) -> list[dict[str, Any]]:
        """The unit registry (every UnitRegistered, county-wide): a few documents, read whole."""
        return await self._c(UNITS).find({}, {"_id": 0}).to_list()

    async def township_names(self) -> dict[str, Any]:
        """{"county": name, "townships": {id: name}} from the registry's events (names.py picks the latest)."""
        return names.of_townships(await self._c(TOWNSHIPS).find({}, {"_id": 0}).to_list())

    async def add(self, facts: list[tuple[str, dict[str, Any]]]) -> int:
        """Insert the facts not stored yet, then bump their townships' versions; return how many were new.

        The bump comes after the inserts, and always, even when nothing was new: a batch that comes again because
        a process died between its inserts and its bump must still bump."""
        by_collection: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for collection, doc in facts:
            by_collection[collection].append(doc)
        added = 0
        for collection, docs in by_collection.items():
            try:
                added += len((await self._c(collection).insert_many(docs, ordered=False)).inserted_ids)
            except BulkWriteError as exc:
                others = [e for e in exc.details["writeErrors"] if e["code"] != DUPLICATE_KEY]
                if others:
                    raise
                added += exc.details["nInserted"]
        # The registry is not a township's fact: its names are read at each units-table read, never kept in a tally.
        await self.touch({doc["township"] for collection, doc in facts if collection not in COUNTY_WIDE})
        return added
