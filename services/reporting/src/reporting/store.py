"""The projection store: inserts new facts in one unordered bulk insert per collection; duplicates are no-ops."""
from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from reporting.facts import COLLECTIONS, ENTERPRISES, VISITS

DUPLICATE_KEY = 11000


class Store:
    """The facts of one generation of the projections (see generations.py)."""

    def __init__(self, db: AsyncDatabase, prefix: str = ""):
        self.db = db
        self.prefix = prefix

    def _c(self, name: str):
        return self.db[self.prefix + name]

    async def ensure_indexes(self) -> None:
        await self._c(VISITS).create_index([("township", 1), ("visited_on", 1)])
        await self._c(ENTERPRISES).create_index([("township", 1), ("registered_on", 1)])

    async def facts(self, township: str | list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
        """Every fact of a township, of some townships, or of the county; reports are computed in Python."""
        query = {"township": {"$in": township} if isinstance(township, list) else township} if township else {}
        found = await asyncio.gather(*(self._c(name).find(query, {"_id": 0}).to_list() for name in COLLECTIONS))
        return dict(zip(COLLECTIONS, found))  # seven queries at once, not one after another

    async def add(self, facts: list[tuple[str, dict[str, Any]]]) -> int:
        """Insert the facts not stored yet; return how many were new."""
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
        return added
