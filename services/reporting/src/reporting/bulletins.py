"""Frozen bulletins (季通报 and the others): a report computed from the event log up to a recorded position,
stored once with its content hash. Later events never change it; it can be recomputed and compared."""
from __future__ import annotations

import hashlib
import json
from typing import Any, Optional

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from buildingblocks.clock import Clock
from reporting import log
from reporting.report import FIGURES, Period, report_for

BULLETINS = "bulletins"


def content_hash(report: dict[str, Any]) -> str:
    canonical = json.dumps(report, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class AlreadyPublished(Exception):
    def __init__(self, bulletin: dict):
        self.bulletin = bulletin


async def publish(db: AsyncDatabase, bootstrap: str, scope: str, period: Period, by: str, clock: Clock) -> dict[str, Any]:
    position = await log.end_position(bootstrap)
    report = report_for(await log.facts_until(bootstrap, position), scope, period, FIGURES)
    bulletin = {
        "_id": f"{scope}:{period.text}",
        "scope": scope,
        "period": period.text,
        "published_at": clock.now().isoformat(),
        "published_by": by,
        "position": position,
        "hash": content_hash(report),
        "report": report,
    }
    try:
        await db[BULLETINS].insert_one(bulletin)  # insert-only: a bulletin is never rewritten
    except DuplicateKeyError:
        raise AlreadyPublished(await get(db, scope, period)) from None
    return {k: v for k, v in bulletin.items() if k != "_id"}


async def get(db: AsyncDatabase, scope: str, period: Period) -> Optional[dict[str, Any]]:
    return await db[BULLETINS].find_one({"_id": f"{scope}:{period.text}"}, {"_id": 0})


# What a list of bulletins shows of each: everything stored but the report itself (and the store's `_id`).
SUMMARY = {"_id": 0, "report": 0}


async def published(db: AsyncDatabase, scope: str) -> list[dict[str, Any]]:
    """The bulletins published for `scope` (a township id or "county"), without their reports, newest period first:
    by the period's last day, then its first (2026-03 before 2026-Q1, 2026-Q4 before 2026-H2 before 2026).
    Read by an `_id` range (`<scope>:…`; ":" sorts after every character of a township id, ";" right after it)."""
    found = await db[BULLETINS].find({"_id": {"$gt": f"{scope}:", "$lt": f"{scope};"}}, SUMMARY).to_list()
    periods = {d["period"]: Period.parse(d["period"]) for d in found}
    return sorted(found, key=lambda d: (periods[d["period"]].end, periods[d["period"]].start), reverse=True)


def figures_of(report: dict[str, Any]) -> int:
    """The shape a report was frozen in (report.FIGURES): 2 once it carries the units' figures, else 1."""
    return FIGURES if "resolution_rate" in report.get("total", report) else 1


async def verify(bootstrap: str, bulletin: dict[str, Any]) -> dict[str, Any]:
    """Recompute the bulletin from the log up to its recorded position, in the shape it was frozen in: one frozen
    before the units' figures is the §3 report alone, and is recomputed as that, so its hash still verifies."""
    facts = await log.facts_until(bootstrap, bulletin["position"])
    again = content_hash(report_for(facts, bulletin["scope"], Period.parse(bulletin["period"]), figures_of(bulletin["report"])))
    return {"hash": bulletin["hash"], "recomputed_hash": again, "matches": again == bulletin["hash"]}
