"""Photos and files attached to an issue, e.g. the proof of its closure (办结佐证): the shared evidence routes with
the issue as owner. Kept apart from the lifecycle: attaching evidence changes nothing of the issue itself."""
from __future__ import annotations

from typing import Optional

from fastapi import Request

from buildingblocks.evidence_api import Owner, evidence_router
from contracts.events import IssueEvidenceAttached
from contracts.topics import ISSUES


async def _issue(request: Request, township: str, issue_id: str) -> Optional[Owner]:
    found = await request.app.state.ctx.repo.shown(township, issue_id)
    # Whether it came with the closure or while the issue was being worked on.
    return Owner(found.get("enterprise_id"), {"issue_status": found.get("status")}) if found else None


router = evidence_router(
    base="/api/v1/townships/{township}/issues/{issue_id}", owner="issue", owner_param="issue_id", find_owner=_issue,
    event=IssueEvidenceAttached, topic=ISSUES, source=lambda township: f"/townships/{township}/issues",
    now=lambda request: request.app.state.ctx.clock.now(),
)
