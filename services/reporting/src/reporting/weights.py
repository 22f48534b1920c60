"""The year-end evaluation's weights (考评权重), the county's setting: how much each rate counts in a score
(README, "Year-end evaluation"). One document, like the quotas; who set them and when is kept beside them."""
from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pymongo.asynchronous.database import AsyncDatabase

WEIGHTS = "evaluation_weights"  # {_id: "county", weights: {part: w}, recorded_by, recorded_at, history}: a setting
PARTS = ("coverage", "on_time", "resolution", "satisfaction", "attainment")
# Until a county admin sets them (README): coverage weighs most, attainment least; they sum to 1.
DEFAULT_WEIGHTS: dict[str, float] = {"coverage": 0.3, "on_time": 0.25, "resolution": 0.2, "satisfaction": 0.15,
                                     "attainment": 0.1}
MAX_WEIGHT = 1000  # a bound so that no sum of weights overflows: 0.3 or 30 both read as 30%


def _weight(description: str):
    return Field(ge=0, le=MAX_WEIGHT, allow_inf_nan=False, description=description)


class WeightsIn(BaseModel):
    """Each part's weight (a number ≥ 0, at most 1000); only their proportions matter, and they must not all be 0."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    coverage: float = _weight("走访覆盖率 (coverage_rate)")
    on_time: float = _weight("按时办结率 (on_time_rate)")
    resolution: float = _weight("解决率 (resolution_rate)")
    satisfaction: float = _weight("满意率 (satisfaction_rate)")
    attainment: float = _weight("达标率 (attainment_rate)")

    @model_validator(mode="after")
    def _some_weight(self) -> "WeightsIn":
        if not sum(getattr(self, p) for p in PARTS) > 0:
            raise ValueError(f"the weights {', '.join(PARTS)} are all 0: at least one must be above 0")
        return self


async def current(db: AsyncDatabase) -> dict[str, float]:
    doc = await db[WEIGHTS].find_one({"_id": "county"})
    return dict(DEFAULT_WEIGHTS) if doc is None else doc["weights"]


async def setting(db: AsyncDatabase) -> dict[str, Any]:
    """{"weights", "recorded_by", "recorded_at"}: the two last null while the defaults are in force."""
    doc = await db[WEIGHTS].find_one({"_id": "county"})
    if doc is None:
        return {"weights": dict(DEFAULT_WEIGHTS), "recorded_by": None, "recorded_at": None}
    return {"weights": doc["weights"], "recorded_by": doc.get("recorded_by"), "recorded_at": doc.get("recorded_at")}


async def put(db: AsyncDatabase, body: WeightsIn, by: Optional[str] = None, at: Optional[str] = None) -> dict[str, Any]:
    """Set the weights; who set them and when is kept beside them, with a history of every change."""
    weights = body.model_dump(mode="json")
    await db[WEIGHTS].update_one(
        {"_id": "county"},
        {"$set": {"weights": weights, "recorded_by": by, "recorded_at": at},
         "$push": {"history": {"weights": weights, "recorded_by": by, "recorded_at": at}}},
        upsert=True)
    return {"weights": weights, "recorded_by": by, "recorded_at": at}
