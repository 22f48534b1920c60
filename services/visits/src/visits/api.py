"""HTTP entrypoint: translates requests into handler calls and refusals into status codes. Nothing else."""
from __future__ import annotations

from typing import Annotated, Optional

from fastapi import APIRouter, Depends, File, Header, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from buildingblocks.auth import Principal, Role, ScopeRules, authenticate, county_access, township_access
from buildingblocks.clock import Clock
from contracts.types import TOWNSHIP_PATTERN, LocalDate
from visits import handlers
from buildingblocks.errors import NotFound
from visits.repository import Repository
from visits.requests import (
    REQUEST_DAY,
    AssignmentEnd,
    AssignmentIn,
    CountyOfficialIn,
    EnterpriseIn,
    OfficialIn,
    TownshipIn,
    TownshipSettingsIn,
    VisitIn,
)

BASE = "/api/v1/townships/{township}"
router = APIRouter(prefix=BASE)
registry_router = APIRouter(prefix="/api/v1/townships", tags=["townships (registry)"])
officials_router = APIRouter(prefix="/api/v1/officials", tags=["officials"])
# For the gate (buildingblocks.auth): a township's own data, and one township of the registry, name it in the path.
SCOPE_RULES = ScopeRules(township=[BASE], county=["/api/v1/officials"])  # 我的企业 across townships: county tokens
Viewer = Annotated[Principal, Depends(township_access(Role.viewer))]
Clerk = Annotated[Principal, Depends(township_access(Role.clerk))]
Admin = Annotated[Principal, Depends(township_access(Role.admin))]
AnyToken = Annotated[Principal, Depends(authenticate)]
CountyAdmin = Annotated[Principal, Depends(county_access(Role.admin))]
CountyClerk = Annotated[Principal, Depends(county_access(Role.clerk))]
CountyViewer = Annotated[Principal, Depends(county_access(Role.viewer))]
OfficialId = Annotated[str, Path(min_length=1, max_length=128, description="the official's id")]
IdempotencyKey = Annotated[
    Optional[str],
    Header(alias="Idempotency-Key", max_length=200, description="a retry with the same key returns the first result"),
]
On = Annotated[Optional[LocalDate], Query(description="the date to look at (default: today, China time)")]


def repo(request: Request) -> Repository:
    return request.app.state.repository


Repo = Annotated[Repository, Depends(repo)]


def clock(request: Request) -> Clock:
    return request.app.state.clock


Now = Annotated[Clock, Depends(clock)]


async def judged_on_the_clock(request: Request) -> None:
    # Async, so that it runs in the request's own context: the body, validated after the dependencies, sees the day.
    REQUEST_DAY.set(clock(request).today())


@registry_router.get("", summary="Every township of the registry (id, Chinese name, county), by id; any token")
async def list_townships(_: AnyToken, repo: Repo):
    return await repo.townships()


@registry_router.get("/{township}", summary="One township of the registry")
async def get_township(township: str, _: Viewer, repo: Repo):
    found = await repo.township(township)
    if found is None:
        raise NotFound("township", [township])
    return found


@registry_router.put("/{township}", summary="Add a township to the registry or rename it (county admin)")
async def put_township(
    township: Annotated[str, Path(pattern=TOWNSHIP_PATTERN, description="the township id")],
    body: TownshipIn,
    _: CountyAdmin,
    repo: Repo,
):
    return await repo.put_township(township, body.name, body.county)


@registry_router.put(
    "/county/officials/{official_id}", tags=["officials"],
    summary="Register a county-level official (县级领导) once, assignable in every township, or change it (county clerk)",
    responses={201: {"description": "registered"}, 200: {"description": "changed"}},
)
async def put_county_official(official_id: OfficialId, body: CountyOfficialIn, _: CountyClerk, repo: Repo):
    created, shown = await handlers.put_county_official(repo, official_id, body)
    return JSONResponse(shown, status_code=201 if created else 200)


@officials_router.get("/{official_id}/enterprises", summary="我的企业: an official's enterprises in every township (county token)")
async def my_enterprises(official_id: OfficialId, _: CountyViewer, repo: Repo, now: Now, on: On = None):
    return await handlers.official_enterprises(repo, official_id, None, on or now.today())


@router.get("/officials/{official_id}/enterprises", tags=["officials"],
            summary="An official's enterprises in this township, with the last visit and the open issues")
async def township_official_enterprises(township: str, official_id: OfficialId, _: Viewer, repo: Repo, now: Now, on: On = None):
    return await handlers.official_enterprises(repo, official_id, township, on or now.today())


@router.post("/officials", status_code=201, tags=["officials"])
async def register_official(township: str, body: OfficialIn, _: Clerk, repo: Repo, key: IdempotencyKey = None):
    return await handlers.register_official(repo, township, body, key)


@router.get("/officials", tags=["officials"])
async def list_officials(township: str, _: Viewer, repo: Repo):
    return await repo.list_officials(township)


@router.post("/enterprises", status_code=201, tags=["enterprises"])
async def register_enterprise(township: str, body: EnterpriseIn, _: Clerk, repo: Repo, now: Now, key: IdempotencyKey = None):
    return await handlers.register_enterprise(repo, township, body, key, clock=now)


@router.get("/enterprises", tags=["enterprises"], summary="The township's enterprises with their last visit")
async def list_enterprises(township: str, _: Viewer, repo: Repo, now: Now, on: On = None):
    return await handlers.enterprises(repo, township, on or now.today())


@router.post("/enterprises/import", tags=["enterprises"], summary="Register the enterprises of a CSV or XLSX export")
async def import_enterprises(
    township: str,
    _: Clerk,
    repo: Repo,
    now: Now,
    file: Annotated[UploadFile, File(description="the platform's export, .csv or .xlsx")],
    good_rows_only: Annotated[bool, Query(description="import the good rows even if some rows are bad")] = False,
):
    content = await file.read()
    ok, report = await handlers.import_enterprises(repo, township, file.filename or "", content, good_rows_only, clock=now)
    return JSONResponse(report, status_code=200 if ok else 422)


@router.get("/enterprises/{enterprise_id}", tags=["enterprises"])
async def get_enterprise(township: str, enterprise_id: str, _: Viewer, repo: Repo, now: Now, on: On = None):
    return await handlers.enterprise(repo, township, enterprise_id.upper(), on or now.today())


@router.post("/enterprises/{enterprise_id}/assignments", status_code=201, tags=["assignments (包抓)"])
async def assign(township: str, enterprise_id: str, body: AssignmentIn, _: Clerk, repo: Repo, now: Now):
    return await handlers.assign(repo, township, enterprise_id.upper(), body, clock=now)


@router.post("/enterprises/{enterprise_id}/assignments/{official_id}/end", tags=["assignments (包抓)"])
async def end_assignment(
    township: str, enterprise_id: str, official_id: str, body: AssignmentEnd, _: Clerk, repo: Repo, now: Now
):
    return await handlers.end_assignment(repo, township, enterprise_id.upper(), official_id, body.end, reason=body.reason, clock=now)


@router.post("/visits", status_code=201, tags=["visits"], dependencies=[Depends(judged_on_the_clock)])
async def log_visit(township: str, body: VisitIn, _: Clerk, repo: Repo, now: Now, key: IdempotencyKey = None):
    return await handlers.log_visit(repo, township, body, key, clock=now)


@router.get("/visits", tags=["visits"])
async def list_visits(
    township: str,
    _: Viewer,
    repo: Repo,
    enterprise_id: Optional[str] = None,
    start: Annotated[Optional[LocalDate], Query(alias="from")] = None,
    end: Annotated[Optional[LocalDate], Query(alias="to")] = None,
):
    iso = lambda d: d.isoformat() if d else None  # noqa: E731
    return await repo.visits(township, enterprise_id.upper() if enterprise_id else None, iso(start), iso(end))


@router.get("/visits/{visit_id}", tags=["visits"])
async def get_visit(township: str, visit_id: str, _: Viewer, repo: Repo):
    found = await repo.visit_shown(township, visit_id)
    if found is None:
        raise NotFound("visit", [visit_id])
    return found


@router.get("/visit-guard", tags=["visits"], summary="Before going: when each enterprise was last visited, and whether a routine visit would be refused")
async def visit_guard(township: str, _: Viewer, repo: Repo, now: Now, on: On = None):
    return await handlers.visit_guard(repo, township, on or now.today())


@router.get("/settings", tags=["township"])
async def get_settings(township: str, _: Viewer, repo: Repo):
    return {"quiet_period_days": await repo.quiet_days(township)}


@router.put("/settings", tags=["township"])
async def put_settings(township: str, body: TownshipSettingsIn, _: Admin, repo: Repo):
    await repo.set_quiet_days(township, body.quiet_period_days)
    return {"quiet_period_days": body.quiet_period_days}

