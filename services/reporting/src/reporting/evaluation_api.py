"""HTTP: the year-end evaluation (年终考评) — the county's weights, and the published evaluations of a year with their
verification, XLSX table and Word document (README, "Year-end evaluation")."""
from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from buildingblocks.auth import FORBIDDEN, Principal, Role, authenticate, county_access
from contracts.types import TOWNSHIP_PATTERN
from reporting import evaluation, evaluations, quotas, weights
from reporting.api import bulletin_access, download
from reporting.report import COUNTY, Period

TAGS = ["evaluation (年终考评)"]
weights_router = APIRouter(prefix="/api/v1/evaluation/weights", tags=TAGS)
evaluation_router = APIRouter(prefix="/api/v1/evaluations", tags=TAGS)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@weights_router.get("", summary="The weights of the evaluation's score, who set them and when (defaults until set)")
async def get_weights(request: Request, _: Annotated[Principal, Depends(county_access(Role.viewer))]):
    return await weights.setting(request.app.state.db)


@weights_router.put("", summary="Set the weights of the evaluation's score (county admin): five numbers ≥ 0, not all 0")
async def put_weights(body: weights.WeightsIn, request: Request, who: Annotated[Principal, Depends(county_access(Role.admin))]):
    return await weights.put(request.app.state.db, body, who.name, request.app.state.clock.now().isoformat())


def publish_access(principal: Annotated[Principal, Depends(authenticate)],
                   scope: Annotated[str, Path(pattern=TOWNSHIP_PATTERN)]) -> Principal:
    """The county's evaluation is published by a county admin; a township's by a clerk (or above) of it or the county."""
    if not principal.may(None if scope == COUNTY else scope, Role.admin if scope == COUNTY else Role.clerk):
        raise FORBIDDEN
    return principal


def year_of(year: str) -> Period:
    try:
        return evaluation.year_of(year)
    except ValueError as exc:
        raise HTTPException(422, [{"loc": ["path", "year"], "msg": str(exc), "type": "value_error"}]) from None


async def _published(request: Request, scope: str, year: str) -> dict:
    found = await evaluations.get(request.app.state.db, scope, year_of(year))
    if found is None:
        raise HTTPException(404, f"no {scope} evaluation for {year} has been published")
    return found


@evaluation_router.get("/{scope}", summary="The evaluations published for a township or the county, newest year first, without their lists")
async def list_evaluations(scope: str, request: Request, _: Annotated[Principal, Depends(bulletin_access(Role.viewer))]):
    return await evaluations.published(request.app.state.db, scope)


@evaluation_router.post("/{scope}/{year}", status_code=201,
                        summary="Publish the year's evaluation (township id or county), frozen with the weights in force")
async def publish_evaluation(scope: str, year: str, request: Request, who: Annotated[Principal, Depends(publish_access)]):
    y = year_of(year)
    db = request.app.state.db
    try:
        return await evaluations.publish(db, request.app.state.bootstrap, scope, y, who.name, request.app.state.clock,
                                         await weights.setting(db), await quotas.current(db))
    except evaluations.AlreadyPublished as exc:
        return JSONResponse({"detail": f"the {scope} evaluation for {y.text} is already published", "evaluation": exc.evaluation},
                            status_code=409)


@evaluation_router.get("/{scope}/{year}", summary="A published evaluation, as it was published")
async def get_evaluation(scope: str, year: str, request: Request, _: Annotated[Principal, Depends(bulletin_access(Role.viewer))]):
    return await _published(request, scope, year)


@evaluation_router.get("/{scope}/{year}/verify", summary="Recompute the evaluation from the event log with its frozen weights and compare")
async def verify_evaluation(scope: str, year: str, request: Request, _: Annotated[Principal, Depends(bulletin_access(Role.viewer))]):
    return await evaluations.verify(request.app.state.bootstrap, await _published(request, scope, year))


@evaluation_router.get("/{scope}/{year}/export", summary="The published evaluation as a workbook: sheets 乡镇, 责任单位, 包抓领导")
async def export_evaluation(
    scope: str, year: str, request: Request, _: Annotated[Principal, Depends(bulletin_access(Role.viewer))],
    format: Annotated[Literal["xlsx"], Query(description="xlsx")] = "xlsx",
):
    found = await _published(request, scope, year)
    return download(evaluation.xlsx(found, found.get("names")), format, f"{scope}-{year}-考评")


@evaluation_router.get("/{scope}/{year}/document", summary="The published evaluation as a Word (.docx) document (考评结果)")
async def evaluation_document(scope: str, year: str, request: Request, _: Annotated[Principal, Depends(bulletin_access(Role.viewer))]):
    found = await _published(request, scope, year)
    name = quote(f"{scope}-{year}-考评结果.docx")
    return Response(evaluation.docx(found, found.get("names")), media_type=DOCX,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"})
