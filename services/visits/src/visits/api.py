"""HTTP entrypoint: translates requests into handler calls and refusals into status codes. Nothing else."""
from __future__ import annotations

from typing import Annotated, Optional

from fastapi import APIRouter, Depends, File, Header, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from buildingblocks.auth import Principal, Role, ScopeRules, authenticate, county_access, township_access
from buildingblocks.clock import Clock
from contracts.types import TOWNSHIP_PATTERN, LocalDate
from visits import checkin, contacts, handlers
from buildingblocks.errors import NotFound
from visits.repository import SETTINGS, Repository
from visits.requests import (
    REQUEST_DAY,
    AnswerIn,
    AssignmentEnd,
    AssignmentIn,
    CampaignIn,
    CountyOfficialIn,
    ContactBudgetIn,
    EnterpriseChange,
    EnterpriseIn,
    OfficialIn,
    PlanCancelIn,
    PlanIn,
    PlanJoinIn,
    TownshipIn,
    TownshipSettingsIn,
    VisitIn,
)

BASE = "/api/v1/townships/{township}"
router = APIRouter(prefix=BASE)
registry_router = APIRouter(prefix="/api/v1/townships", tags=["townships (registry)"])
officials_router = APIRouter(prefix="/api/v1/officials", tags=["officials"])
contacts_router = APIRouter(prefix="/api/v1/contacts", tags=["contact budget (接触次数)"])
# For the gate (buildingblocks.auth): a township's own data, and one township of the registry, name it in the path;
# the contact counts are the county's.
# 我的企业 across townships is for county tokens too. A unit's handler reads the registry only (the console names
# the townships of its queue with it).
SCOPE_RULES = ScopeRules(township=[BASE], county=[contacts_router.prefix, "/api/v1/officials"],
                         handler=["GET " + registry_router.prefix])
Viewer = Annotated[Principal, Depends(township_access(Role.viewer))]
Clerk = Annotated[Principal, Depends(township_access(Role.clerk))]
Admin = Annotated[Principal, Depends(township_access(Role.admin))]
AnyToken = Annotated[Principal, Depends(authenticate)]
CountyAdmin = Annotated[Principal, Depends(county_access(Role.admin))]
CountyClerk = Annotated[Principal, Depends(county_access(Role.clerk))]
CountyViewer = Annotated[Principal, Depends(county_access(Role.viewer))]
OfficialId = Annotated[str, Path(min_length=1, max_length=128, description="the official's id")]
Month = Annotated[str, Path(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
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
    who: CountyAdmin,
    repo: Repo,
    now: Now,
):
    return await repo.put_township(township, body.name, body.county, who.name, now.now())


@registry_router.put(
    "/county/officials/{official_id}", tags=["officials"],
    summary="Register a county-level official (县级领导) once, assignable in every township, or change it (county clerk)",
    responses={201: {"description": "registered"}, 200: {"description": "changed"}},
)
async def put_county_official(official_id: OfficialId, body: CountyOfficialIn, who: CountyClerk, repo: Repo, now: Now):
    created, shown = await handlers.put_county_official(repo, official_id, body, clock=now, by=who.name)
    return JSONResponse(shown, status_code=201 if created else 200)


@officials_router.get("/{official_id}/enterprises", summary="我的企业: an official's enterprises in every township (county token)")
async def my_enterprises(official_id: OfficialId, _: CountyViewer, repo: Repo, now: Now, on: On = None):
    return await handlers.official_enterprises(repo, official_id, None, on or now.today())


@router.get("/officials/{official_id}/enterprises", tags=["officials"],
            summary="An official's enterprises in this township, with the last visit and the open issues")
async def township_official_enterprises(township: str, official_id: OfficialId, _: Viewer, repo: Repo, now: Now, on: On = None):
    return await handlers.official_enterprises(repo, official_id, township, on or now.today())


@router.post("/officials", status_code=201, tags=["officials"])
async def register_official(township: str, body: OfficialIn, who: Clerk, repo: Repo, now: Now, key: IdempotencyKey = None):
    return await handlers.register_official(repo, township, body, key, clock=now, by=who.name)


@router.get("/officials", tags=["officials"])
async def list_officials(township: str, _: Viewer, repo: Repo):
    return await repo.list_officials(township)


@router.post("/enterprises", status_code=201, tags=["enterprises"])
async def register_enterprise(township: str, body: EnterpriseIn, who: Clerk, repo: Repo, now: Now, key: IdempotencyKey = None):
    return await handlers.register_enterprise(repo, township, body, key, clock=now, by=who.name)


@router.get("/enterprises", tags=["enterprises"], summary="The township's enterprises with their last visit")
async def list_enterprises(township: str, _: Viewer, repo: Repo, now: Now, on: On = None):
    return await handlers.enterprises(repo, township, on or now.today())


@router.post("/enterprises/import", tags=["enterprises"], summary="Register the enterprises of a CSV or XLSX export")
async def import_enterprises(
    township: str,
    who: Clerk,
    repo: Repo,
    now: Now,
    file: Annotated[UploadFile, File(description="the platform's export, .csv or .xlsx")],
    good_rows_only: Annotated[bool, Query(description="import the good rows even if some rows are bad")] = False,
):
    content = await file.read()
    ok, report = await handlers.import_enterprises(repo, township, file.filename or "", content, good_rows_only, clock=now, by=who.name)
    return JSONResponse(report, status_code=200 if ok else 422)


@router.get("/enterprises/{enterprise_id}", tags=["enterprises"])
async def get_enterprise(township: str, enterprise_id: str, _: Viewer, repo: Repo, now: Now, on: On = None):
    return await handlers.enterprise(repo, township, enterprise_id.upper(), on or now.today())


@router.patch("/enterprises/{enterprise_id}", tags=["enterprises"],
              summary="Edit the name, park or status (在营/停产/迁出/注销 with the day); publishes EnterpriseChanged")
async def change_enterprise(township: str, enterprise_id: str, body: EnterpriseChange, who: Clerk, repo: Repo, now: Now):
    return await handlers.change_enterprise(repo, township, enterprise_id.upper(), body, clock=now, by=who.name)


@router.post("/enterprises/{enterprise_id}/assignments", status_code=201, tags=["assignments (包抓)"])
async def assign(township: str, enterprise_id: str, body: AssignmentIn, who: Clerk, repo: Repo, now: Now):
    return await handlers.assign(repo, township, enterprise_id.upper(), body, clock=now, by=who.name)


@router.post("/enterprises/{enterprise_id}/assignments/{official_id}/end", tags=["assignments (包抓)"])
async def end_assignment(
    township: str, enterprise_id: str, official_id: str, body: AssignmentEnd, who: Clerk, repo: Repo, now: Now
):
    return await handlers.end_assignment(repo, township, enterprise_id.upper(), official_id, body.end, reason=body.reason, clock=now, by=who.name)


@router.post("/visits", status_code=201, tags=["visits"], dependencies=[Depends(judged_on_the_clock)])
async def log_visit(
    request: Request, township: str, body: VisitIn, who: Clerk, repo: Repo, now: Now, key: IdempotencyKey = None
):
    logged = await handlers.log_visit(repo, township, body, key, clock=now, by=who.name)
    if body.check_in is not None:  # stored beside the visit (visits.checkin), after it: the visit stands either way
        logged = {**logged, "check_in": await checkin.record(request, township, logged, body.check_in, who)}
    return logged


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
async def get_visit(request: Request, township: str, visit_id: str, _: Viewer, repo: Repo):
    found = await repo.visit_shown(township, visit_id)
    if found is None:
        raise NotFound("visit", [visit_id])
    if (checked_in := await checkin.of(request, township, visit_id)) is not None:
        found["check_in"] = checked_in
    return found


@router.get("/visit-guard", tags=["visits"], summary="Before going: when each enterprise was last visited, and whether a routine visit would be refused")
async def visit_guard(township: str, _: Viewer, repo: Repo, now: Now, on: On = None):
    return await handlers.visit_guard(repo, township, on or now.today())


@router.get("/settings", tags=["township"])
async def get_settings(township: str, _: Viewer, repo: Repo):
    return await repo.settings(township)


@router.put("/settings", tags=["township"])
async def put_settings(township: str, body: TownshipSettingsIn, who: Admin, repo: Repo, now: Now):
    await repo.set_quiet_days(township, body.quiet_period_days, who.name, now.now())
    return await repo.settings(township)



# --- planned visits (走访计划) and 企业走访日 campaigns ---------------------------------------------------------


@router.post("/plans", status_code=201, tags=["plans (走访计划)"],
             summary="Plan a visit for today or later; 409 with `join` when another plan is within the quiet period")
async def plan_visit(township: str, body: PlanIn, who: Clerk, repo: Repo, now: Now, key: IdempotencyKey = None):
    return await handlers.plan_visit(repo, township, body, key, clock=now, by=who.name)


@router.get("/plans", tags=["plans (走访计划)"], summary="The township's plans by day; official_id: the plans they are in")
async def list_plans(
    township: str,
    _: Viewer,
    repo: Repo,
    official_id: Optional[str] = None,
    enterprise_id: Optional[str] = None,
    status: Annotated[Optional[str], Query(pattern="^(planned|done|cancelled)$")] = None,
    start: Annotated[Optional[LocalDate], Query(alias="from")] = None,
    end: Annotated[Optional[LocalDate], Query(alias="to")] = None,
):
    return await handlers.plans(repo, township, official_id, start, end, enterprise_id.upper() if enterprise_id else None, status)


@router.get("/plans/{plan_id}", tags=["plans (走访计划)"])
async def get_plan(township: str, plan_id: str, _: Viewer, repo: Repo):
    return await handlers.plan(repo, township, plan_id)


@router.post("/plans/{plan_id}/join", tags=["plans (走访计划)"], summary="联合走访: join the planned visit in one step")
async def join_plan(township: str, plan_id: str, body: PlanJoinIn, who: Clerk, repo: Repo, now: Now):
    return await handlers.join_plan(repo, township, plan_id, body.official_id, clock=now, by=who.name)


@router.post("/plans/{plan_id}/cancel", tags=["plans (走访计划)"], summary="Cancel a plan, with a reason")
async def cancel_plan(township: str, plan_id: str, body: PlanCancelIn, who: Clerk, repo: Repo, now: Now):
    return await handlers.cancel_plan(repo, township, plan_id, body.reason, clock=now, by=who.name)


@router.post("/campaigns", status_code=201, tags=["campaigns (企业走访日)"])
async def announce_campaign(township: str, body: CampaignIn, who: Clerk, repo: Repo, now: Now, key: IdempotencyKey = None):
    return await handlers.announce_campaign(repo, township, body, key, clock=now, by=who.name)


@router.get("/campaigns", tags=["campaigns (企业走访日)"])
async def list_campaigns(township: str, _: Viewer, repo: Repo):
    return await handlers.campaigns(repo, township)


@router.get("/campaigns/{campaign_id}", tags=["campaigns (企业走访日)"])
async def get_campaign(township: str, campaign_id: str, _: Viewer, repo: Repo):
    return await handlers.campaign(repo, township, campaign_id)


@router.post("/campaigns/{campaign_id}/answers", tags=["campaigns (企业走访日)"],
             summary="An invited leader accepts or declines (declining needs a reason)")
async def answer_invitation(township: str, campaign_id: str, body: AnswerIn, who: Clerk, repo: Repo, now: Now):
    return await handlers.answer_invitation(repo, township, campaign_id, body, clock=now, by=who.name)


@router.post("/campaigns/{campaign_id}/plans", tags=["campaigns (企业走访日)"],
             summary="Make the campaign's plans, one per enterprise in scope (again: only those still missing)")
async def make_campaign_plans(township: str, campaign_id: str, who: Clerk, repo: Repo, now: Now):
    return await handlers.make_campaign_plans(repo, township, campaign_id, clock=now, by=who.name)


@router.get("/campaigns/{campaign_id}/progress", tags=["campaigns (企业走访日)"],
            summary="Planned against done, per enterprise and per leader")
async def campaign_progress(township: str, campaign_id: str, _: Viewer, repo: Repo):
    return await handlers.campaign_progress(repo, township, campaign_id)


# --- the contact budget (接触次数): the county's ----------------------------------------------------------------


def _county_only(township: str) -> None:
    if township != "county":  # a county setting: no township has one of its own
        raise NotFound("setting", [f"{township}/contact-budget"])  # set for the county only


@router.get("/contact-budget", tags=["contact budget (接触次数)"],
            summary="The county's budget of contacts per enterprise per month, which every township's planners work to")
async def get_contact_budget(township: str, _: Viewer, repo: Repo):
    return await contacts.budget(repo.db, SETTINGS)


@router.put("/contact-budget", tags=["contact budget (接触次数)"], summary="Set the county's contact budget (county admin)")
async def put_contact_budget(township: str, body: ContactBudgetIn, who: Admin, repo: Repo, now: Now):
    _county_only(township)
    await contacts.set_budget(repo.db, SETTINGS, body.max_contacts_per_month, who.name, now.now().isoformat())
    return await contacts.budget(repo.db, SETTINGS)


@contacts_router.get("/{month}", summary="The month's most-contacted enterprises, county-wide (visits, plans, hotline and platform demands)")
async def most_contacted(
    month: Month, _: CountyViewer, repo: Repo,
    limit: Annotated[int, Query(ge=1, le=1000, description="how many enterprises, most contacted first")] = 20,
):
    limit_n = (await contacts.budget(repo.db, SETTINGS))["max_contacts_per_month"]
    found = await contacts.of_month(repo.db, month)
    return {"month": month, "budget": limit_n, "over_budget": sum(c.contacts > limit_n for c in found),
            "enterprises": [c.shown(limit_n) for c in found[:limit]]}
