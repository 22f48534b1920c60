"""Generations of the projections. The API reads the active one; the live consumer writes every live one
(facts are idempotent, so writing one batch into two generations is safe). A rebuild adds a generation,
replays the log into it under its own consumer group, then makes it active in one write."""
from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from reporting.facts import ALL_COLLECTIONS
from reporting.store import BODIES, TALLIES, VERSIONS, versions_id

STATE = "projection_state"


def prefix(generation: int) -> str:
    return "" if generation == 1 else f"g{generation}_"


async def state(db: AsyncDatabase) -> dict[str, Any]:
    doc = await db[STATE].find_one({"_id": "state"})
    return doc or {"_id": "state", "active": 1, "live": [1]}


async def set_state(db: AsyncDatabase, active: int, live: list[int]) -> None:
    # One single-document write: the API switches from one generation to the next in one step.
    await db[STATE].update_one({"_id": "state"}, {"$set": {"active": active, "live": sorted(set(live))}}, upsert=True)


async def drop(db: AsyncDatabase, generation: int) -> None:
    for name in ALL_COLLECTIONS:
        await db.drop_collection(prefix(generation) + name)
    # Versions only ever grow: bump every township's, so no replica keeps a tally of the dropped facts.
    versions = await db[VERSIONS].find_one({"_id": versions_id(prefix(generation))})
    if versions and versions.get("v"):
        inc = {"n": 1, **{f"v.{t}": 1 for t in versions["v"]}}
        await db[VERSIONS].update_one({"_id": versions["_id"]}, {"$inc": inc})
    for kept in (TALLIES, BODIES):
        await db[kept].delete_many({"generation": versions_id(prefix(generation))})
