"""Photos and files attached to a visit (走访照片, 佐证材料): the shared evidence routes with the visit as owner."""
from __future__ import annotations

from typing import Optional

from fastapi import Request

from buildingblocks.evidence_api import Owner, evidence_router
from contracts.events import EvidenceAttached
from contracts.topics import VISITS
from visits.repository import source


async def _visit(request: Request, township: str, visit_id: str) -> Optional[Owner]:
    found = await request.app.state.repository.visit_shown(township, visit_id)
    return Owner(found["enterprise_id"], {"visited_on": found["visited_on"]}) if found else None


router = evidence_router(
    base="/api/v1/townships/{township}/visits/{visit_id}", owner="visit", owner_param="visit_id", find_owner=_visit,
    event=EvidenceAttached, topic=VISITS, source=source, now=lambda request: request.app.state.clock.now(),
)
