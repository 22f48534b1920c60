"""Frozen bulletins (季通报 and the others): a report computed from the event log up to a recorded position,
stored once with its content hash. Later events never change it; it can be recomputed and compared."""
from __future__ import annotations

import hashlib
import json
from typing import Any, Optional

from pymongo.asynchronous.database import AsyncDatabase
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from buildingblocks.clock import Clock
from reporting import log, names
from reporting.facts import COUNTY_WIDE, UNITS
from reporting.report import COUNTY, FIGURES, Period, report_for, tally, units_table

BULLETINS = "bulletins"
NUMBERS = "bulletin_numbers"  # {_id: <scope>:<year>, n}: the last document number given


def content_hash(report: dict[str, Any]) -> str:
    canonical = json.dumps(report, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class AlreadyPublished(Exception):
    def __init__(self, bulletin: dict):
        self.bulletin = bulletin


async def publish(db: AsyncDatabase, bootstrap: str, scope: str, period: Period, by: str, clock: Clock) -> dict[str, Any]:
    if (found := await get(db, scope, period)) is not None:
        raise AlreadyPublished(found)  # before taking a number: a second publish leaves no gap
    position = await log.end_position(bootstrap)
    facts = await log.facts_until(bootstrap, position)
    report = report_for(facts, scope, period, FIGURES)
    at = clock.now()
    frozen = dict(names.frozen(facts))
    bulletin = {
        "_id": f"{scope}:{period.text}",
        "scope": scope,
        "period": period.text,
        "published_at": at.isoformat(),
        "published_by": by,
        "position": position,
        "hash": content_hash(report),
        "report": report,
        # Frozen beside the report from the same position (so a document made later prints what was true then):
        "units": units_of(facts, scope, period),
        "names": frozen,
        "issuer": issuer(scope, frozen),
        "number": await _next_number(db, scope, at.year),
    }
    try:
        await db[BULLETINS].insert_one(bulletin)  # insert-only: a bulletin is never rewritten
    except DuplicateKeyError:
        raise AlreadyPublished(await get(db, scope, period)) from None
    return {k: v for k, v in bulletin.items() if k != "_id"}


def units_of(facts: dict[str, list[dict]], scope: str, period: Period) -> list[dict[str, Any]]:
    """The per-unit table (责任单位办理情况) of the scope and period, as the units endpoint gives it."""
    township = None if scope == COUNTY else scope
    return units_table(tally({n: d for n, d in facts.items() if n not in COUNTY_WIDE}, township, period), facts.get(UNITS, []))


def issuer(scope: str, frozen: dict[str, Any]) -> str:
    """The issuing office printed at the head of the document (the 红头)."""
    county = frozen.get("county") or ""
    if scope == COUNTY:
        return f"{county}遍访企业助企纾困工作领导小组办公室"
    return f"{frozen.get('townships', {}).get(scope, scope)}遍访企业助企纾困工作领导小组"


async def _next_number(db: AsyncDatabase, scope: str, year: int) -> str:
    """The document number 〔year〕n号: one count per scope and year of publication, taken by one `$inc`."""
    doc = await db[NUMBERS].find_one_and_update({"_id": f"{scope}:{year}"}, {"$inc": {"n": 1}}, upsert=True,
                                                return_document=ReturnDocument.AFTER)
    return f"〔{year}〕{doc['n']}号"


async def get(db: AsyncDatabase, scope: str, period: Period) -> Optional[dict[str, Any]]:
    return await db[BULLETINS].find_one({"_id": f"{scope}:{period.text}"}, {"_id": 0})


# What a list of bulletins shows of each: everything stored but the report, the units' table and the names.
SUMMARY = {"_id": 0, "report": 0, "units": 0, "names": 0}


async def published(db: AsyncDatabase, scope: str) -> list[dict[str, Any]]:
    """The bulletins published for `scope` (a township id or "county"), without their reports, newest period first:
    by the period's last day, then its first (2026-03 before 2026-Q1, 2026-Q4 before 2026-H2 before 2026).
    Read by an `_id` range (`<scope>:…`; ":" sorts after every character of a township id, ";" right after it)."""
    found = await db[BULLETINS].find({"_id": {"$gt": f"{scope}:", "$lt": f"{scope};"}}, SUMMARY).to_list()
    periods = {d["period"]: Period.parse(d["period"]) for d in found}
    return sorted(found, key=lambda d: (periods[d["period"]].end, periods[d["period"]].start), reverse=True)


def figures_of(report: dict[str, Any]) -> int:
    """The shape a report was frozen in (report.FIGURES): 3 once it carries the visits' figures (and comparisons),
    2 once it carries the units' figures, else 1 (the §3 report alone)."""
    figures = report.get("total", report)
    if "visits_by_kind" in figures:
        return 3
    return 2 if "resolution_rate" in figures else 1


async def verify(bootstrap: str, bulletin: dict[str, Any]) -> dict[str, Any]:
    """Recompute the bulletin from the log up to its recorded position, in the shape it was frozen in: one frozen
    before the units' figures is the §3 report alone, and is recomputed as that, so its hash still verifies. The
    per-unit table frozen beside it (bulletins since the documents) is recomputed and compared too."""
    facts = await log.facts_until(bootstrap, bulletin["position"])
    period = Period.parse(bulletin["period"])
    again = content_hash(report_for(facts, bulletin["scope"], period, figures_of(bulletin["report"])))
    result = {"hash": bulletin["hash"], "recomputed_hash": again, "matches": again == bulletin["hash"]}
    if "units" in bulletin:
        result["units_match"] = units_of(facts, bulletin["scope"], period) == bulletin["units"]
        result["matches"] = result["matches"] and result["units_match"]
    return result
