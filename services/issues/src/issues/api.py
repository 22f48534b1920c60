"""HTTP entrypoint of the issues service: translation only."""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request

from buildingblocks.auth import Principal, Role, ScopeRules, county_access, township_access
from buildingblocks.errors import NotFound
from contracts.enums import Level
from issues import domain, handlers, requests
from issues.domain.rules import RulesIn
from issues.requests import AssignIn, CloseIn, Day, ExtendIn, IssueIn, ReopenIn


async def _judged_on_the_apps_clock(request: Request) -> None:
    # Before the body is validated (FastAPI solves dependencies first): "not in the future" on this app's clock.
    requests.judged_on(request.app.state.ctx.clock)


router = APIRouter(prefix="/api/v1", dependencies=[Depends(_judged_on_the_apps_clock)])
T = "/townships/{township}"
# For the gate (buildingblocks.auth): a township's issues name it in the path; the holiday calendar is the county's.
# (The county-wide supervision is left to its route's dependency.)
SCOPE_RULES = ScopeRules(township=[router.prefix + T], county=[router.prefix + "/calendar"])
Viewer = Annotated[Principal, Depends(township_access(Role.viewer))]
Clerk = Annotated[Principal, Depends(township_access(Role.clerk))]
Admin = Annotated[Principal, Depends(township_access(Role.admin))]
CountyAdmin = Annotated[Principal, Depends(county_access(Role.admin))]
CountyViewer = Annotated[Principal, Depends(county_access(Role.viewer))]
IdempotencyKey = Annotated[Optional[str], Header(alias="Idempotency-Key", max_length=200)]


def ctx(request: Request) -> handlers.Context:
    return request.app.state.ctx


Ctx = Annotated[handlers.Context, Depends(ctx)]


@router.post(T + "/issues", status_code=201, tags=["issues"])
async def raise_issue(township: str, body: IssueIn, who: Clerk, c: Ctx, key: IdempotencyKey = None):
    created, issue = await handlers.raise_from_request(c, township, body, key, who.name)
    return issue


@router.get(T + "/issues", tags=["issues"])
async def list_issues(
    township: str,
    _: Viewer,
    c: Ctx,
    status: Optional[Literal["open", "closed"]] = None,
    enterprise_id: Optional[str] = None,
    overdue: bool = False,
    level: Optional[Level] = None,
    responsible_unit: Optional[str] = None,
    provisional: bool = False,
):
    return await c.repo.ledger(
        township, status=status, enterprise_id=enterprise_id.upper() if enterprise_id else None,
        overdue_on=c.clock.today() if overdue else None, level=level, responsible_unit=responsible_unit,
        provisional=provisional)


@router.get(T + "/issues/{issue_id}", tags=["issues"], summary="The issue with its full history")
async def get_issue(township: str, issue_id: str, _: Viewer, c: Ctx):
    shown = await c.repo.shown(township, issue_id)
    if shown is None:
        raise NotFound("issue", [issue_id])
    return shown


@router.post(T + "/issues/{issue_id}/assign", tags=["issues"], summary="Route to a responsible unit (stays open)")
async def assign(township: str, issue_id: str, body: AssignIn, who: Clerk, c: Ctx):
    return await handlers.assign(c, township, issue_id, body, who.name)


@router.post(T + "/issues/{issue_id}/close", tags=["issues"])
async def close(township: str, issue_id: str, body: CloseIn, who: Clerk, c: Ctx):
    return await handlers.close(c, township, issue_id, body, who.name)


@router.post(T + "/issues/{issue_id}/reopen", tags=["issues"], summary="The follow-up found the enterprise dissatisfied")
async def reopen(township: str, issue_id: str, body: ReopenIn, who: Clerk, c: Ctx):
    return await handlers.reopen(c, township, issue_id, body, who.name)


@router.post(T + "/issues/{issue_id}/extend", tags=["issues"], summary="Extend the deadline, with a reason")
async def extend(township: str, issue_id: str, body: ExtendIn, who: Clerk, c: Ctx):
    return await handlers.extend(c, township, issue_id, body, who.name)


@router.get(T + "/supervision", tags=["supervision (督办)"], summary="Open issues by level and by responsible unit")
async def supervision(township: str, _: Viewer, c: Ctx):
    return domain.supervision_board(await c.repo.ledger(township, status=domain.OPEN))


@router.get("/supervision", tags=["supervision (督办)"], summary="The county's open issues by township, level and responsible unit")
async def county_supervision(_: CountyViewer, c: Ctx):
    return domain.supervision_board(await c.repo.ledger(None, status=domain.OPEN), county=True)


@router.post(T + "/supervision/sweep", tags=["supervision (督办)"], summary="Run the escalation sweep now (as of `on`)")
async def run_sweep(township: str, _: Admin, c: Ctx, request: Request, on: Annotated[Optional[Day], Query()] = None):
    changed = await handlers.sweep(c, township, on)
    request.app.state.escalations.count(changed)
    return {"changed": [{"issue_id": d["issue_id"], "level": d["level"]} for d in changed]}


@router.get(T + "/settings", tags=["township"])
async def get_rules(township: str, _: Viewer, c: Ctx):
    return {**(await c.repo.rules(township)).model_dump(mode="json"), **await c.repo.rules_recorded(township)}


@router.put(T + "/settings", tags=["township"])
async def put_rules(township: str, body: RulesIn, who: Admin, c: Ctx):
    rules = await handlers.change_rules(c, township, body, who.name)
    return {**rules.model_dump(mode="json"), **await c.repo.rules_recorded(township)}


@router.get("/calendar", tags=["calendar"], summary="Years whose official holiday schedule is known")
async def calendar_years(_: Annotated[Principal, Depends(county_access(Role.viewer))], c: Ctx):
    return {"years": (await c.work_calendar()).years()}


@router.put("/calendar/{year}", tags=["calendar"], summary="Load a year's official holiday schedule; provisional deadlines are recounted")
async def load_calendar(year: Annotated[int, Path(ge=2000, le=2099)], who: CountyAdmin, c: Ctx, request: Request, schedule: Annotated[dict, Body()]):
    return await handlers.load_schedule(c, year, schedule, who.name)  # in force on every replica from its next request
