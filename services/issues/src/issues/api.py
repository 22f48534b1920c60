"""HTTP entrypoint of the issues service: translation only."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request

from buildingblocks.auth import Principal, Role, county_access, township_access
from contracts.enums import Level
from issues import domain, handlers
from issues.calendar import ScheduleError, parse_schedule
from buildingblocks.errors import Invalid, NotFound
from issues.requests import AssignIn, CloseIn, Day, ExtendIn, IssueIn, ReopenIn
from issues.rules import RulesIn

router = APIRouter(prefix="/api/v1")
T = "/townships/{township}"
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
    query: dict[str, Any] = {"township": township}
    if status:
        query["status"] = status
    if enterprise_id:
        query["enterprise_id"] = enterprise_id.upper()
    if overdue:
        query.update(status="open", deadline={"$lt": domain.today().isoformat()})
    if level:
        query["level"] = level.value
    if responsible_unit:
        query["responsible_unit"] = responsible_unit
    if provisional:
        query["deadline_provisional"] = True
    return [{k: v for k, v in d.items() if k not in ("history", "_id", "version")} for d in await c.repo.find(query)]


@router.get(T + "/issues/{issue_id}", tags=["issues"], summary="The issue with its full history")
async def get_issue(township: str, issue_id: str, _: Viewer, c: Ctx):
    doc = await c.repo.get(township, issue_id)
    if doc is None:
        raise NotFound("issue", [issue_id])
    return handlers.view(doc)


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
    return domain.supervision_board(await c.repo.find({"township": township, "status": "open"}))


@router.get("/supervision", tags=["supervision (督办)"], summary="The county's open issues by township, level and responsible unit")
async def county_supervision(_: CountyViewer, c: Ctx):
    return domain.supervision_board(await c.repo.find({"status": "open"}), county=True)


@router.post(T + "/supervision/sweep", tags=["supervision (督办)"], summary="Run the escalation sweep now (as of `on`)")
async def run_sweep(township: str, _: Admin, c: Ctx, request: Request, on: Annotated[Optional[Day], Query()] = None):
    changed = await handlers.sweep(c, township, on or domain.today())
    request.app.state.escalations.count(changed)
    return {"changed": [{"issue_id": d["issue_id"], "level": d["level"]} for d in changed]}


@router.get(T + "/settings", tags=["township"])
async def get_rules(township: str, _: Viewer, c: Ctx):
    return (await c.repo.rules(township)).model_dump(mode="json")


@router.put(T + "/settings", tags=["township"])
async def put_rules(township: str, body: RulesIn, _: Admin, c: Ctx):
    try:
        rules = body.applied_to(await c.repo.rules(township))
    except ValueError as exc:
        field, _, message = str(exc).partition(": ")
        raise Invalid(field, message) from None
    await c.repo.set_rules(township, rules)
    return rules.model_dump(mode="json")


@router.get("/calendar", tags=["calendar"], summary="Years whose official holiday schedule is known")
async def calendar_years(_: Annotated[Principal, Depends(county_access(Role.viewer))], c: Ctx):
    return {"years": (await c.work_calendar()).years()}


@router.put("/calendar/{year}", tags=["calendar"], summary="Load a year's official holiday schedule; provisional deadlines are recounted")
async def load_calendar(year: Annotated[int, Path(ge=2000, le=2099)], _: CountyAdmin, c: Ctx, request: Request, schedule: Annotated[dict, Body()]):
    try:
        parsed = parse_schedule(schedule)
    except ScheduleError as exc:
        raise Invalid("schedule", str(exc)) from None
    if parsed.year != year:
        raise Invalid("year", f"the body is the schedule of {parsed.year}, not {year}")
    await c.repo.save_schedule(year, schedule)  # in force on every replica from its next request (Context.work_calendar)
    return {"year": year, "recounted": await handlers.recount_provisional(c, year)}

