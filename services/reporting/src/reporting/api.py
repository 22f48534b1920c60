"""HTTP entrypoint of the reporting service: the reports of CONTRACTS.md §2/§3."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request

from buildingblocks.auth import Principal, Role, county_access, township_access
from contracts.types import TOWNSHIP_PATTERN
from reporting.ranking import rank
from reporting.report import Period, compute
from reporting.store import Store

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


def store(request: Request) -> Store:
    return request.app.state.store


def period_of(period: str) -> Period:
    try:
        return Period.parse(period)
    except ValueError as exc:
        raise HTTPException(422, [{"loc": ["path", "period"], "msg": str(exc), "type": "value_error"}]) from None


@router.get("/county/{period}", summary="Every township's report and the county total over all their events")
async def county_report(
    period: str, _: Annotated[Principal, Depends(county_access(Role.viewer))], s: Annotated[Store, Depends(store)]
):
    p = period_of(period)
    facts = await s.facts()
    townships = sorted({d["township"] for docs in facts.values() for d in docs})
    reports = [compute(facts, t, p) for t in townships]
    return {"period": p.text, "townships": reports, "total": compute(facts, None, p), **rank(reports)}


@router.get("/{township}/{period}", summary="One township's report for a month, quarter, half-year or year")
async def township_report(
    township: Annotated[str, Path(pattern=TOWNSHIP_PATTERN)],
    period: str,
    _: Annotated[Principal, Depends(township_access(Role.viewer))],
    s: Annotated[Store, Depends(store)],
):
    p = period_of(period)
    facts = await s.facts(township)
    if not any(facts.values()):
        raise HTTPException(404, f"no events of township {township} yet")
    return compute(facts, township, p)
