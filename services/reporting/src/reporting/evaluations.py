"""Published year-end evaluations (年终考评结果): computed from the event log up to a recorded position with the weights
and quotas in force, all three frozen in it, stored once with the content hash — like a bulletin. Later events and
later weights never change it; `verify` recomputes it from the log up to the position with the frozen weights."""
from __future__ import annotations

from typing import Any, Optional

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from buildingblocks.clock import Clock
from reporting import evaluation, log, names
from reporting.bulletins import content_hash
from reporting.report import Period

EVALUATIONS = "evaluations"  # {_id: <scope>:<year>, ...}: insert-only


class AlreadyPublished(Exception):
    def __init__(self, published: dict):
        self.evaluation = published


def _key(scope: str, year: Period) -> str:
    return f"{scope}:{year.text}"


async def publish(db: AsyncDatabase, bootstrap: str, scope: str, year: Period, by: str, clock: Clock,
                  weights_setting: dict[str, Any], quotas: dict[str, Any]) -> dict[str, Any]:
    """`weights_setting`: weights.setting() (the weights and who set them, when); `quotas`: quotas.current()."""
    if (found := await get(db, scope, year)) is not None:
        raise AlreadyPublished(found)
    position = await log.end_position(bootstrap)
    facts = await log.facts_until(bootstrap, position)
    weights = evaluation.frozen_weights(weights_setting["weights"])
    lists = evaluation.evaluate(facts, scope, year, weights, quotas)
    doc = {
        "_id": _key(scope, year),
        "scope": scope,
        "year": year.text,
        "published_at": clock.now().isoformat(),
        "published_by": by,
        "position": position,
        "weights": weights,
        "weights_recorded": {"recorded_by": weights_setting.get("recorded_by"), "recorded_at": weights_setting.get("recorded_at")},
        "quotas": quotas,
        "hash": content_hash(evaluation.content(weights, quotas, lists)),
        "scorecards": lists,
        "names": dict(names.frozen(facts)),  # as of the position, for the documents; not in the hash
    }
    try:
        await db[EVALUATIONS].insert_one(doc)  # insert-only: an evaluation is never rewritten
    except DuplicateKeyError:
        raise AlreadyPublished(await get(db, scope, year)) from None
    return {k: v for k, v in doc.items() if k != "_id"}


async def get(db: AsyncDatabase, scope: str, year: Period) -> Optional[dict[str, Any]]:
    return await db[EVALUATIONS].find_one({"_id": _key(scope, year)}, {"_id": 0})


SUMMARY = {"_id": 0, "scorecards": 0, "names": 0}


async def published(db: AsyncDatabase, scope: str) -> list[dict[str, Any]]:
    """The scope's evaluations without their lists, newest year first (read by an `_id` range, as bulletins are)."""
    found = await db[EVALUATIONS].find({"_id": {"$gt": f"{scope}:", "$lt": f"{scope};"}}, SUMMARY).to_list()
    return sorted(found, key=lambda d: d["year"], reverse=True)


async def verify(bootstrap: str, published_doc: dict[str, Any]) -> dict[str, Any]:
    """Recompute from the log up to the recorded position with the frozen weights and quotas; compare the hashes."""
    facts = await log.facts_until(bootstrap, published_doc["position"])
    weights, quotas = evaluation.frozen_weights(published_doc["weights"]), published_doc["quotas"]
    lists = evaluation.evaluate(facts, published_doc["scope"], Period.parse(published_doc["year"]), weights, quotas)
    again = content_hash(evaluation.content(weights, quotas, lists))
    return {"hash": published_doc["hash"], "recomputed_hash": again, "matches": again == published_doc["hash"]}
