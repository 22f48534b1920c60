"""HTTP entrypoint of the issues service: translation only."""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request

from buildingblocks.auth import (
    COUNTY, FORBIDDEN, Principal, Role, ScopeRules, authenticate, county_access, township_access,
)
from buildingblocks.errors import NotFound
from contracts.enums import IssueCategory, Level
from contracts.types import TOWNSHIP_PATTERN
from issues import domain, handlers, requests
from issues.domain.rules import RulesIn
from issues.requests import (
    UNIT_PATTERN, AcknowledgeIn, AssignIn, CloseIn, CoHandlingIn, Day, DecisionIn, ExtendIn, ExtensionRequestIn,
    FindingIn, FollowUpIn, IssueIn, ProgressIn, ReopenIn, ReturnIn, UnitId, UnitIn,
)


async def _judged_on_the_apps_clock(request: Request) -> None:
    # Before the body is validated (FastAPI solves dependencies first): "not in the future" on this app's clock.
    requests.judged_on(request.app.state.ctx.clock)


router = APIRouter(prefix="/api/v1", dependencies=[Depends(_judged_on_the_apps_clock)])
T = "/townships/{township}"
# For the gate (buildingblocks.auth): a township's issues name it in the path; the holiday calendar is the county's.
# (The county-wide supervision is left to its route's dependency.)
I = T + "/issues/{issue_id}"
# A handler token (a unit's) reaches only these; their dependencies look at its unit.
HANDLER_ROUTES = [f"GET {router.prefix}{I}", *(f"POST {router.prefix}{I}/{step}" for step in (
    "acknowledge", "return", "progress", "extension-requests", "close")), f"GET {router.prefix}/units/{{unit_id}}/issues"]
SCOPE_RULES = ScopeRules(township=[router.prefix + T], county=[router.prefix + "/calendar"], handler=HANDLER_ROUTES)
Viewer = Annotated[Principal, Depends(township_access(Role.viewer))]
Clerk = Annotated[Principal, Depends(township_access(Role.clerk))]
Admin = Annotated[Principal, Depends(township_access(Role.admin))]
CountyAdmin = Annotated[Principal, Depends(county_access(Role.admin))]
CountyViewer = Annotated[Principal, Depends(county_access(Role.viewer))]
IdempotencyKey = Annotated[Optional[str], Header(alias="Idempotency-Key", max_length=200)]
UnitPath = Annotated[str, Path(pattern=UNIT_PATTERN, description="the unit id")]


def ctx(request: Request) -> handlers.Context:
    return request.app.state.ctx


Ctx = Annotated[handlers.Context, Depends(ctx)]
LEAD, LEAD_OR_CO = "lead", "lead or co-unit"


def issue_access(role: Optional[Role], unit: Optional[str] = None):
    """Dependency for an issue's routes: a township token with `role` (None: no township role may), or a handler
    whose unit leads the issue (`unit` LEAD) or leads or co-handles it (LEAD_OR_CO). Anything else, and a handler
    asking for an issue that does not exist, gets the same 403."""

    async def check(
        township: Annotated[str, Path(pattern=TOWNSHIP_PATTERN, description="the township id")],
        issue_id: str,
        principal: Annotated[Principal, Depends(authenticate)],
        c: Ctx,
    ) -> Principal:
        if principal.role == Role.handler:
            if unit and principal.unit_id and principal.covers(None if township == COUNTY else township):
                issue = await c.repo.get(township, issue_id)
                co = [u["unit_id"] for u in issue.co_units] if issue else []
                if issue is not None and (issue.unit_id == principal.unit_id or (unit == LEAD_OR_CO and principal.unit_id in co)):
                    return principal
            raise FORBIDDEN
        if role is None or not principal.may(township, role):
            raise FORBIDDEN
        return principal

    return check


def by(who: Principal) -> str:
    return who.name


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
    kind: Optional[Literal["issue", "finding"]] = None,
    routing: Optional[Literal["unrouted", "routed", "acknowledged", "returned"]] = None,
    unit_id: Annotated[Optional[str], Query(pattern=UNIT_PATTERN)] = None,
):
    return await c.repo.ledger(
        township, status=status, enterprise_id=enterprise_id.upper() if enterprise_id else None,
        overdue_on=c.clock.today() if overdue else None, level=level, responsible_unit=responsible_unit,
        provisional=provisional, kind=kind, routing=routing, unit_id=unit_id)


@router.post(T + "/findings", status_code=201, tags=["issues"],
             summary="A finding: a problem in a procedure or a unit (一把手走流程, 督查整改), worked like an issue")
async def raise_finding(township: str, body: FindingIn, who: Clerk, c: Ctx, key: IdempotencyKey = None):
    created, issue = await handlers.raise_finding(c, township, body, key, who.name)
    return issue


@router.get(I, tags=["issues"], summary="The issue with its full history")
async def get_issue(township: str, issue_id: str, _: Annotated[Principal, Depends(issue_access(Role.viewer, LEAD_OR_CO))],
                    c: Ctx):
    shown = await c.repo.shown(township, issue_id)
    if shown is None:
        raise NotFound("issue", [issue_id])
    return shown


@router.post(T + "/issues/{issue_id}/assign", tags=["issues"], summary="Route to a responsible unit (stays open)")
async def assign(township: str, issue_id: str, body: AssignIn, who: Clerk, c: Ctx):
    return await handlers.assign(c, township, issue_id, body, who.name)


@router.post(I + "/close", tags=["issues"], summary="办结: by the lead unit's handler or a clerk; 409 while a co-unit's part is missing")
async def close(township: str, issue_id: str, body: CloseIn,
                who: Annotated[Principal, Depends(issue_access(Role.clerk, LEAD))], c: Ctx):
    return await handlers.close(c, township, issue_id, body, who.name)


@router.post(I + "/acknowledge", tags=["issues: the unit's steps"], summary="签收 by the lead unit's handler")
async def acknowledge(township: str, issue_id: str, who: Annotated[Principal, Depends(issue_access(None, LEAD))],
                      c: Ctx, body: AcknowledgeIn = AcknowledgeIn()):
    return await handlers.acknowledge(c, township, issue_id, body, who.unit_id, who.name)


@router.post(I + "/return", tags=["issues: the unit's steps"], summary="退回 by the lead unit's handler: the clerk routes it again")
async def return_issue(township: str, issue_id: str, body: ReturnIn,
                       who: Annotated[Principal, Depends(issue_access(None, LEAD))], c: Ctx):
    return await handlers.return_(c, township, issue_id, body, who.unit_id, who.name)


@router.post(I + "/co-handling", tags=["issues: the unit's steps"], summary="协办: the current unit leads, the co-units report their parts")
async def co_handling(township: str, issue_id: str, body: CoHandlingIn, who: Clerk, c: Ctx):
    return await handlers.set_co_handling(c, township, issue_id, body, who.name)


@router.post(I + "/progress", tags=["issues: the unit's steps"], summary="阶段答复 by the lead or a co-unit's handler, or a clerk")
async def progress(township: str, issue_id: str, body: ProgressIn,
                   who: Annotated[Principal, Depends(issue_access(Role.clerk, LEAD_OR_CO))], c: Ctx):
    return await handlers.note_progress(c, township, issue_id, body, who.unit_id, who.name)


@router.post(I + "/extension-requests", status_code=201, tags=["issues: the unit's steps"],
             summary="延期申请 by the lead unit's handler or a clerk")
async def request_extension(township: str, issue_id: str, body: ExtensionRequestIn,
                            who: Annotated[Principal, Depends(issue_access(Role.clerk, LEAD))], c: Ctx):
    return await handlers.request_extension(c, township, issue_id, body, who.unit_id, who.name)


@router.post(I + "/extension-requests/{request_id}/decision", tags=["issues: the unit's steps"],
             summary="延期审批 by a supervisor or admin; approved moves the deadline")
async def decide_extension(township: str, issue_id: str, request_id: str, body: DecisionIn,
                           who: Annotated[Principal, Depends(issue_access(Role.supervisor))], c: Ctx):
    return await handlers.decide_extension(c, township, issue_id, request_id, body, who.name)


@router.post(I + "/follow-up", tags=["issues: the unit's steps"],
             summary="回访 by a clerk or supervisor (never the handler); dissatisfied reopens it")
async def follow_up(township: str, issue_id: str, body: FollowUpIn,
                    who: Annotated[Principal, Depends(issue_access(Role.clerk))], c: Ctx):
    return await handlers.follow_up(c, township, issue_id, body, who.name)


@router.post(T + "/issues/{issue_id}/reopen", tags=["issues"], summary="The follow-up found the enterprise dissatisfied")
async def reopen(township: str, issue_id: str, body: ReopenIn, who: Clerk, c: Ctx):
    return await handlers.reopen(c, township, issue_id, body, who.name)


@router.post(I + "/extend", tags=["issues"], summary="Extend the deadline directly, with a reason (supervisor or admin)")
async def extend(township: str, issue_id: str, body: ExtendIn,
                 who: Annotated[Principal, Depends(township_access(Role.supervisor))], c: Ctx):
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


# ------------------------------------------------------------------------------------ units and routing


@router.get(T + "/units", tags=["units (责任单位)"], summary="The township's units; routable: its active ones and the county's")
async def list_units(township: str, _: Viewer, c: Ctx, routable: bool = False):
    return await handlers.units(c, township, routable)


@router.put(T + "/units/{unit_id}", tags=["units (责任单位)"], summary="Register or change a unit (publishes UnitRegistered)")
async def put_unit(township: str, unit_id: UnitPath, body: UnitIn, who: Admin, c: Ctx):
    return await handlers.put_unit(c, township, unit_id, body, who.name)


@router.get(T + "/routing", tags=["units (责任单位)"], summary="The default unit per issue category")
async def get_routing(township: str, _: Viewer, c: Ctx):
    return handlers.shown_routing(await c.repo.routing(township))


@router.put(T + "/routing", tags=["units (责任单位)"], summary="Set default units per category (null removes one)")
async def put_routing(township: str, body: dict[IssueCategory, Optional[UnitId]], who: Admin, c: Ctx):
    return await handlers.set_routing(c, township, body, who.name)


@router.get("/units/{unit_id}/issues", tags=["units (责任单位)"],
            summary="The unit's queue: the issues it leads or co-handles, across townships")
async def unit_queue(unit_id: UnitPath, who: Annotated[Principal, Depends(authenticate)], c: Ctx,
                     status: Optional[Literal["open", "closed"]] = None):
    if who.role == Role.handler:
        if who.unit_id != unit_id:
            raise FORBIDDEN
    elif who.role < Role.viewer:
        raise FORBIDDEN
    township = None if who.scope == COUNTY else who.scope  # a township's token sees its township's issues only
    return await c.repo.unit_queue(unit_id, township=township, status=status)
