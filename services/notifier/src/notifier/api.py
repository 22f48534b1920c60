"""HTTP entrypoint of the notifier: who gets notices (county admin), its settings, the notices and the 督办单."""
from __future__ import annotations

from typing import Annotated, Literal, Optional
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from buildingblocks.auth import FORBIDDEN, Principal, Role, ScopeRules, authenticate, county_access
from buildingblocks.errors import NotFound
from notifier import document
from notifier.domain import (KINDS, STATUSES, NoticeSettings, NoticeSettingsShown, Person, PersonShown, UnitRecipients,
                             UnitRecipientsShown, parse_number, supervision_number)
from notifier.store import SETTINGS_ID, Store, shown

router = APIRouter(prefix="/api/v1")
UNIT_ID = r"^[a-z0-9][a-z0-9-]{0,63}$"
OFFICIAL_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
# For the gate: recipients and settings are the county's; notices and 督办单 are decided by their routes.
SCOPE_RULES = ScopeRules(county=[router.prefix + "/recipients", router.prefix + "/settings"])
CountyAdmin = Annotated[Principal, Depends(county_access(Role.admin))]
CountyViewer = Annotated[Principal, Depends(county_access(Role.viewer))]
Viewer = Annotated[Principal, Depends(authenticate)]


def store(request: Request) -> Store:
    return request.app.state.store


S = Annotated[Store, Depends(store)]


def now(request: Request) -> str:
    return request.app.state.clock.now().isoformat()


Now = Annotated[str, Depends(now)]


@router.get("/recipients/units/{unit_id}", tags=["recipients"], response_model=UnitRecipientsShown,
            summary="A unit's channels (and its head's, for 督办单)")
async def get_unit_recipients(unit_id: Annotated[str, Path(pattern=UNIT_ID)], _: CountyAdmin, s: S):
    found = await s.configured("recipients", f"unit:{unit_id}")
    if found is None:
        raise NotFound("unit recipients", [unit_id])
    return UnitRecipientsShown.model_validate(found)


@router.put("/recipients/units/{unit_id}", tags=["recipients"], response_model=UnitRecipientsShown,
            summary="Set a unit's channels: webhook (企业微信/钉钉 robot), SMS numbers, e-mail, its head's")
async def put_unit_recipients(unit_id: Annotated[str, Path(pattern=UNIT_ID)], body: UnitRecipients,
                              who: CountyAdmin, s: S, at: Now):
    await s.put_recipients(f"unit:{unit_id}", body.model_dump(mode="json"), who.name, at)
    return UnitRecipientsShown(**body.model_dump(), recorded_by=who.name, recorded_at=at)


@router.get("/recipients/officials/{official_id}", tags=["recipients"], response_model=PersonShown,
            summary="A 包抓 leader's channels")
async def get_official_recipients(official_id: Annotated[str, Path(pattern=OFFICIAL_ID)], _: CountyAdmin, s: S):
    found = await s.configured("recipients", f"official:{official_id}")
    if found is None:
        raise NotFound("official recipients", [official_id])
    return PersonShown.model_validate(found)


@router.put("/recipients/officials/{official_id}", tags=["recipients"], response_model=PersonShown,
            summary="Set a 包抓 leader's channels (督办单 and the weekly digest)")
async def put_official_recipients(official_id: Annotated[str, Path(pattern=OFFICIAL_ID)], body: Person,
                                  who: CountyAdmin, s: S, at: Now):
    await s.put_recipients(f"official:{official_id}", body.model_dump(mode="json"), who.name, at)
    return PersonShown(**body.model_dump(), recorded_by=who.name, recorded_at=at)


@router.get("/settings", tags=["settings"], response_model=NoticeSettingsShown,
            summary="Quiet hours and the weekly digest's day and time")
async def get_settings(_: CountyViewer, s: S):
    found = await s.configured("settings", SETTINGS_ID)
    return NoticeSettingsShown.model_validate(found) if found else NoticeSettingsShown()


@router.put("/settings", tags=["settings"], response_model=NoticeSettingsShown,
            summary="Set quiet hours (null: none) and the weekly digest's ISO weekday and time")
async def put_settings(body: NoticeSettings, who: CountyAdmin, s: S, at: Now):
    await s.put_settings(body, who.name, at)
    return NoticeSettingsShown(**body.model_dump(), recorded_by=who.name, recorded_at=at)


def _visible(who: Principal, township: Optional[str]) -> bool:
    return who.may(township, Role.viewer) if township else who.may(None, Role.viewer)


@router.get("/notices", tags=["notices"], summary="The notices made, newest first, with their delivery outcome")
async def list_notices(
    who: Viewer,
    s: S,
    township: Annotated[Optional[str], Query(max_length=40)] = None,
    status: Optional[Literal[STATUSES]] = None,  # type: ignore[valid-type]
    kind: Optional[Literal[KINDS]] = None,  # type: ignore[valid-type]
    issue_id: Annotated[Optional[str], Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
):
    if township is None and not who.may(None, Role.viewer):
        township = who.scope  # a township's viewer sees its own township's
    if township is not None and not who.may(township, Role.viewer):
        raise FORBIDDEN
    query = {k: v for k, v in {"township": township, "status": status, "kind": kind, "issue_id": issue_id}.items()
             if v is not None}
    return [shown(d) for d in await s.notices(query, limit)]


async def _sheet(number: str, who: Principal, s: Store) -> dict:
    parsed = parse_number(number)  # 督〔2026〕7号, or 2026-7 where a URL is easier to type
    sheet = await s.supervision(supervision_number(*parsed)) if parsed else None
    # Another township's 督办单 and one that does not exist get the same answer for a township token.
    if sheet is None and not who.may(None, Role.viewer):
        raise FORBIDDEN
    if sheet is None:
        raise NotFound("supervision notice", [number])
    if not who.may(sheet.get("township"), Role.viewer):
        raise FORBIDDEN
    return sheet


@router.get("/supervision-notices/{number}", tags=["supervision"], summary="A 督办单 (督〔YYYY〕N号) as JSON")
async def get_supervision(number: Annotated[str, Path(max_length=40)], who: Viewer, s: S):
    return await _sheet(number, who, s)


@router.get("/supervision-notices/{number}/document", tags=["supervision"],
            summary="A 督办单 as a Word document (.docx)", response_class=Response)
async def supervision_document(number: Annotated[str, Path(max_length=40)], who: Viewer, s: S):
    sheet = await _sheet(number, who, s)
    filename = quote(f"{sheet['number']}.docx")
    return Response(document.supervision_docx(sheet),
                    media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{filename}"})
