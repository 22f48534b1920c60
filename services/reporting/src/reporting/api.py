"""HTTP entrypoint of the reporting service: the reports of CONTRACTS.md §2/§3."""
from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from buildingblocks.auth import FORBIDDEN, Principal, Role, ScopeRules, authenticate, county_access, township_access
from contracts.types import TOWNSHIP_PATTERN
from reporting import bulletins, exports, generations, ledgers, quotas, scorecards
from reporting.report import COUNTY, FIGURES, Period, county_report, county_total, render, units_table
from reporting.store import Store

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
bulletin_router = APIRouter(prefix="/api/v1/bulletins", tags=["bulletins"])


async def store(request: Request) -> Store:
    """The active generation of the projections: a rebuild switches it in one write."""
    db = request.app.state.db
    return Store(db, generations.prefix((await generations.state(db))["active"]))


def period_of(period: str) -> Period:
    try:
        return Period.parse(period)
    except ValueError as exc:
        raise HTTPException(422, [{"loc": ["path", "period"], "msg": str(exc), "type": "value_error"}]) from None


@router.get("/county/{period}", summary="Every township's report and the county total over all their events")
async def county(
    period: str, request: Request, _: Annotated[Principal, Depends(county_access(Role.viewer))], s: Annotated[Store, Depends(store)]
):
    p = period_of(period)
    # Plain JSON already: skip FastAPI's encoder, which walks every value of a province's report in Python.
    # Shape 3: each township's and the total's comparison blocks from the tallies of the periods compared.
    body = await request.app.state.views.county_body(
        s, p, lambda tallies, compared: JSONResponse(county_report(tallies, p, FIGURES, compared)).body)
    return Response(body, media_type="application/json")


@router.get("/county/{period}/units", summary="The per-unit table over every township's issues and findings")
async def county_units(
    period: str, request: Request, _: Annotated[Principal, Depends(county_access(Role.viewer))], s: Annotated[Store, Depends(store)]
):
    p = period_of(period)
    total = county_total(await request.app.state.views.county(s, p), p)
    return JSONResponse(units_table(total, await s.units()))


@router.get("/{township}/{period}/units", summary="The per-unit table of a township's issues and findings (README: each column)")
async def township_units(
    request: Request,
    township: Annotated[str, Path(pattern=TOWNSHIP_PATTERN)],
    period: str,
    _: Annotated[Principal, Depends(township_access(Role.viewer))],
    s: Annotated[Store, Depends(store)],
):
    p = period_of(period)
    found = await request.app.state.views.township(s, township, p)
    if found is None:
        raise HTTPException(404, f"no events of township {township} yet")
    return JSONResponse(units_table(found, await s.units()))


@router.get("/{township}/{period}", summary="One township's report for a month, quarter, half-year or year")
async def township_report(
    request: Request,
    township: Annotated[str, Path(pattern=TOWNSHIP_PATTERN)],
    period: str,
    _: Annotated[Principal, Depends(township_access(Role.viewer))],
    s: Annotated[Store, Depends(store)],
):
    p = period_of(period)
    found = await request.app.state.views.township_compared(s, township, p)
    if found is None:
        raise HTTPException(404, f"no events of township {township} yet")
    tally, compared = found
    return JSONResponse(render(tally, FIGURES, compared))  # shape 3, with the comparison blocks


def bulletin_access(role: Role):
    """A township's bulletin needs that township's token; the county's needs a county token."""
    def check(principal: Annotated[Principal, Depends(authenticate)], scope: Annotated[str, Path(pattern=TOWNSHIP_PATTERN)]) -> Principal:
        if not principal.may(None if scope == COUNTY else scope, role):
            raise FORBIDDEN
        return principal

    return check


@bulletin_router.get("/{scope}", summary="The bulletins published for a township or the county, newest period first, without their reports")
async def list_bulletins(scope: str, request: Request, _: Annotated[Principal, Depends(bulletin_access(Role.viewer))]):
    return await bulletins.published(request.app.state.db, scope)


@bulletin_router.post("/{scope}/{period}", status_code=201, summary="Publish a frozen bulletin (township id or county)")
async def publish_bulletin(
    scope: str, period: str, request: Request, who: Annotated[Principal, Depends(bulletin_access(Role.clerk))]
):
    p = period_of(period)
    try:
        return await bulletins.publish(request.app.state.db, request.app.state.bootstrap, scope, p, who.name,
                                       request.app.state.clock)
    except bulletins.AlreadyPublished as exc:
        return JSONResponse({"detail": f"the {scope} bulletin for {p.text} is already published", "bulletin": exc.bulletin},
                            status_code=409)


@bulletin_router.get("/{scope}/{period}", summary="A published bulletin, as it was published")
async def get_bulletin(scope: str, period: str, request: Request, _: Annotated[Principal, Depends(bulletin_access(Role.viewer))]):
    found = await bulletins.get(request.app.state.db, scope, period_of(period))
    if found is None:
        raise HTTPException(404, f"no {scope} bulletin for {period} has been published")
    return found


@bulletin_router.get("/{scope}/{period}/verify", summary="Recompute the bulletin from the event log and compare")
async def verify_bulletin(scope: str, period: str, request: Request, _: Annotated[Principal, Depends(bulletin_access(Role.viewer))]):
    found = await bulletins.get(request.app.state.db, scope, period_of(period))
    if found is None:
        raise HTTPException(404, f"no {scope} bulletin for {period} has been published")
    return await bulletins.verify(request.app.state.bootstrap, found)


scorecard_router = APIRouter(prefix="/api/v1/scorecards", tags=["scorecards (考评)"])


@scorecard_router.get("/{scope}/{period}", summary="Per official and per responsible unit, for a township or the county")
async def scorecards_of(
    scope: str, period: str, s: Annotated[Store, Depends(store)], _: Annotated[Principal, Depends(bulletin_access(Role.viewer))]
):
    p = period_of(period)
    township = None if scope == COUNTY else scope
    facts = await s.facts(township)
    q = await quotas.current(s.db)
    return {"scope": scope, "period": p.text, "quotas": q, "officials": scorecards.officials(facts, township, p, q),
            "units": scorecards.units(facts, township, p)}


quota_router = APIRouter(prefix="/api/v1/quotas", tags=["scorecards (考评)"])


@quota_router.get("", summary="The visit quotas per rank that the scorecards' attainment (达标率) is measured against")
async def get_quotas(request: Request, _: Annotated[Principal, Depends(county_access(Role.viewer))]):
    return await quotas.current(request.app.state.db)


@quota_router.put("", summary="Set the visit quotas per rank (county admin); a rank left out has none")
async def put_quotas(body: quotas.QuotasIn, request: Request, who: Annotated[Principal, Depends(county_access(Role.admin))]):
    return await quotas.put(request.app.state.db, body, who.name, request.app.state.clock.now().isoformat())


MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
Format = Annotated[Literal["csv", "xlsx"], Query(description="csv (UTF-8 with BOM) or xlsx")]


def download(content: bytes, fmt: str, name: str) -> Response:
    quoted = quote(f"{name}.{fmt}")
    return Response(content, media_type=MEDIA[fmt], headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quoted}"})


@bulletin_router.get("/{scope}/{period}/export", summary="The published bulletin as a table (Chinese headers)")
async def export_bulletin(
    scope: str, period: str, request: Request, _: Annotated[Principal, Depends(bulletin_access(Role.viewer))], format: Format = "xlsx"
):
    found = await bulletins.get(request.app.state.db, scope, period_of(period))
    if found is None:
        raise HTTPException(404, f"no {scope} bulletin for {period} has been published")
    content = exports.table(exports.bulletin_rows(found["report"]), exports.BULLETIN_COLUMNS, format, f"{period}通报")
    return download(content, format, f"{scope}-{period}-通报")


ledger_router = APIRouter(prefix="/api/v1/ledger", tags=["exports"])


async def _ledger(scope: str, period: str, kind: str, s: Store, fmt: str) -> Response:
    p = period_of(period)
    facts = await s.facts(None if scope == COUNTY else scope)
    names = (await s.township_names())["townships"]
    units = await s.units() if kind == "issues" else None
    content, title = ledgers.ledger(kind, facts, p, fmt, names, units)
    return download(content, fmt, f"{scope}-{p.text}-{title}")


@ledger_router.get("/{scope}/{period}", summary="The issue ledger (问题台账) of a period: the same file as …/issues")
async def export_ledger(
    scope: str, period: str, s: Annotated[Store, Depends(store)], _: Annotated[Principal, Depends(bulletin_access(Role.viewer))],
    format: Format = "xlsx",
):
    return await _ledger(scope, period, "issues", s, format)


@ledger_router.get("/{scope}/{period}/issues", summary="The issue ledger (问题台账) of a township or the county for a period: "
                   "the issues raised, closed or open at its end, every column a clerk files (README: the ledgers)")
async def export_issue_ledger(
    scope: str, period: str, s: Annotated[Store, Depends(store)], _: Annotated[Principal, Depends(bulletin_access(Role.viewer))],
    format: Format = "xlsx",
):
    return await _ledger(scope, period, "issues", s, format)


@ledger_router.get("/{scope}/{period}/visits", summary="The visit ledger (走访台账) of a township or the county for a period: "
                   "every visit of the period, every column a clerk files (README: the ledgers)")
async def export_visit_ledger(
    scope: str, period: str, s: Annotated[Store, Depends(store)], _: Annotated[Principal, Depends(bulletin_access(Role.viewer))],
    format: Format = "xlsx",
):
    return await _ledger(scope, period, "visits", s, format)


# For the gate (buildingblocks.auth): every report, bulletin, scorecard and ledger names its township (or "county").
SCOPE_RULES = ScopeRules(township=[router.prefix + "/{township}", bulletin_router.prefix + "/{scope}",
                                   scorecard_router.prefix + "/{scope}", ledger_router.prefix + "/{scope}",
                                   "/api/v1/evaluations/{scope}"],  # evaluation_api.evaluation_router
                         county=[quota_router.prefix, "/api/v1/evaluation/weights"])  # the quotas are the county's: township tokens stop at the gate
