"""The optional location check-in: an enterprise's address coordinates (`PUT …/enterprises/{id}/location`) and a
visit's `check_in {lat, lng}` (in the body of POST /visits), shown with the distance in metres and whether it is
within the county's radius (CHECK_IN_RADIUS_M, default 500 m). The rule is `visits.domain.location`.

Documents of their own, each by `_id` (no aggregate of the visits domain changes): `locations` {_id: township:
enterprise_id, lat, lng, set_at, set_by} and `check_ins` {_id: township:visit_id, …}, written once per visit."""
from __future__ import annotations

from typing import Annotated, Any, Optional

from fastapi import APIRouter, Depends, Request
from pymongo.errors import DuplicateKeyError

from buildingblocks.auth import Principal, Role, township_access
from buildingblocks.errors import Conflict, NotFound
from visits.domain.location import CheckIn, Location
from visits.repository import key
from visits.requests import PositionIn

LOCATIONS, CHECK_INS = "locations", "check_ins"
router = APIRouter(prefix="/api/v1/townships/{township}", tags=["check-in"])
Viewer = Annotated[Principal, Depends(township_access(Role.viewer))]
Clerk = Annotated[Principal, Depends(township_access(Role.clerk))]


def _db(request: Request):
    return request.app.state.repository.db


async def enterprise_location(db, township: str, enterprise_id: str) -> Optional[Location]:
    doc = await db[LOCATIONS].find_one({"_id": key(township, enterprise_id)})
    return Location(doc["lat"], doc["lng"]) if doc else None


@router.put("/enterprises/{enterprise_id}/location", summary="The enterprise's address coordinates (WGS-84)")
async def put_location(request: Request, township: str, enterprise_id: str, body: PositionIn, who: Clerk):
    enterprise_id = enterprise_id.upper()
    repo = request.app.state.repository
    if await repo.enterprise(township, enterprise_id) is None:
        raise NotFound("enterprise", [enterprise_id])
    doc = {"township": township, "enterprise_id": enterprise_id, "lat": body.lat, "lng": body.lng,
           "set_at": request.app.state.clock.now().isoformat(), "set_by": who.name}
    await repo.db[LOCATIONS].replace_one({"_id": key(township, enterprise_id)}, doc, upsert=True)
    return doc


@router.get("/enterprises/{enterprise_id}/location", summary="The enterprise's address coordinates, if set")
async def get_location(request: Request, township: str, enterprise_id: str, _: Viewer):
    doc = await _db(request)[LOCATIONS].find_one({"_id": key(township, enterprise_id.upper())}, {"_id": 0})
    if doc is None:
        raise NotFound("location of enterprise", [enterprise_id.upper()])
    return doc


async def record(request: Request, township: str, visit: dict[str, Any], at: PositionIn, who: Principal) -> dict:
    """The visit's check-in, judged against the enterprise's coordinates as they are now, stored once: a retry of
    the visit gets the first, another position for a visit already checked in is a 409."""
    db = _db(request)
    judged = CheckIn(Location(at.lat, at.lng), await enterprise_location(db, township, visit["enterprise_id"]),
                     request.app.state.check_in_radius_m)
    doc = {"_id": key(township, visit["visit_id"]), "township": township, "visit_id": visit["visit_id"],
           "enterprise_id": visit["enterprise_id"], **judged.shown(),
           "checked_in_at": request.app.state.clock.now().isoformat(), "checked_in_by": who.name}
    try:
        await db[CHECK_INS].insert_one(doc)
    except DuplicateKeyError:
        first = await db[CHECK_INS].find_one({"_id": doc["_id"]}) or {}
        if (first.get("lat"), first.get("lng")) != (at.lat, at.lng):
            raise Conflict(f"visit {visit['visit_id']} was already checked in elsewhere", check_in=shown(first)) from None
        return shown(first)
    return shown(doc)


def shown(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("_id", "township", "visit_id", "enterprise_id")}


async def of(request: Request, township: str, visit_id: str) -> Optional[dict]:
    doc = await _db(request)[CHECK_INS].find_one({"_id": key(township, visit_id)})
    return shown(doc) if doc else None
