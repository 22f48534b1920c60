"""Visit quotas per rank, the county's setting (README, "Quotas"): how many visits an official of that rank owes
each enterprise assigned to them per month, quarter or year. One document; a rank left out has no quota."""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field
from pymongo.asynchronous.database import AsyncDatabase

from reporting.scorecards import DEFAULT_QUOTAS

QUOTAS = "scorecard_quotas"  # {_id: "county", quotas: {rank: {visits, every}}, recorded_by, recorded_at, history}: a setting


class Quota(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    visits: int = Field(ge=1, le=100, description="visits to each assigned enterprise")
    every: Literal["month", "quarter", "year"] = Field(description="per calendar month, quarter or year")


class QuotasIn(BaseModel):
    """The quota of each rank (县处级, 镇班子成员, 干部, other); a rank absent or null has none."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    county: Optional[Quota] = None
    township: Optional[Quota] = None
    cadre: Optional[Quota] = None
    other: Optional[Quota] = None


async def current(db: AsyncDatabase) -> dict[str, Optional[dict[str, Any]]]:
    doc = await db[QUOTAS].find_one({"_id": "county"})
    return dict(DEFAULT_QUOTAS) if doc is None else doc["quotas"]


async def put(db: AsyncDatabase, body: QuotasIn, by: Optional[str] = None,
              at: Optional[str] = None) -> dict[str, Optional[dict[str, Any]]]:
    """Set the quotas; who set them and when is kept beside them, with a history of every change."""
    quotas = {rank: q for rank, q in body.model_dump(mode="json").items() if q is not None}
    await db[QUOTAS].update_one(
        {"_id": "county"},
        {"$set": {"quotas": quotas, "recorded_by": by, "recorded_at": at},
         "$push": {"history": {"quotas": quotas, "recorded_by": by, "recorded_at": at}}},
        upsert=True)
    return quotas
