"""HTTP: a published bulletin as the document leaders read — .docx or PDF — and its outline for the console's preview.
Made from the frozen bulletin alone, so the same bulletin gives the same document whenever it is asked for."""
from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from buildingblocks.auth import Principal, Role
from reporting import bulletins
from reporting.api import bulletin_access, period_of
from reporting.documents.docx import bulletin_docx
from reporting.documents.outline import outline
from reporting.documents.pdf import bulletin_pdf

router = APIRouter(prefix="/api/v1/bulletins", tags=["bulletins"])
MEDIA = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "pdf": "application/pdf"}
RENDER = {"docx": bulletin_docx, "pdf": bulletin_pdf}


async def _published(request: Request, scope: str, period: str) -> dict:
    found = await bulletins.get(request.app.state.db, scope, period_of(period))
    if found is None:
        raise HTTPException(404, f"no {scope} bulletin for {period} has been published")
    return found


@router.get("/{scope}/{period}/document", summary="The published bulletin as a Word (.docx) or PDF document (通报文件)")
async def document(
    scope: str, period: str, request: Request, _: Annotated[Principal, Depends(bulletin_access(Role.viewer))],
    format: Annotated[Literal["docx", "pdf"], Query(description="docx (Word) or pdf")] = "docx",
):
    bulletin = await _published(request, scope, period)
    content = RENDER[format](bulletin)
    name = quote(f"{scope}-{period}-通报.{format}")
    return Response(content, media_type=MEDIA[format], headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"})


@router.get("/{scope}/{period}/outline", summary="What the bulletin's document says, as data: the console's preview")
async def document_outline(scope: str, period: str, request: Request, _: Annotated[Principal, Depends(bulletin_access(Role.viewer))]):
    return outline(await _published(request, scope, period))
