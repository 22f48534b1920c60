"""走访照片与佐证材料: the upload form under a visit and an issue (the phone's camera or a file), and the files
themselves, fetched from the owning service with the signed-in person's token. The services decide what is
accepted (buildingblocks.evidence); this page only says their refusals in Chinese, naming the file.

Paths of their own (`/evidence/{owner}/{owner_id}…`), so the visit and issue pages keep theirs."""
from __future__ import annotations

import re
from typing import Any, Optional
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from buildingblocks.evidence import MAX_BYTES
from console.upstream import ServiceError
from console.web import Refused, Who, back, form_of, require, templates, township_for, townships, upstream

router = APIRouter()
# owner → (service, its collection in the API path, the console page of the owner)
OWNERS = {"visit": ("visits", "visits", "/visits/"), "issue": ("issues", "issues", "/issues/")}
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
MB = MAX_BYTES // (1024 * 1024)
# The services' reasons (buildingblocks.evidence), as the section under the form says them; {file} is the file.
REFUSALS = {
    "too_large": f"“{{file}}”超过 {MB} MB，不能上传。请压缩或拆分后再传。",
    "executable": "“{file}”是可执行程序或脚本，出于安全原因不能上传。",
    "macros": "“{file}”是含宏的 Office 文档，不能上传；请另存为 .docx 或 .xlsx 后再传。",
    "type_not_allowed": "“{file}”的格式不支持。只能上传照片（JPEG、PNG、WebP）、PDF、Word（.docx）或 Excel（.xlsx）。",
    "empty": "“{file}”是空文件。",
    "unreadable": "“{file}”已损坏或无法识别，请重新拍摄或导出后再传。",
    "too_many_pixels": "照片“{file}”像素过大，请缩小后再传。",
    "none": "请先拍照或选择要上传的文件。",
    "failed": "“{file}”没有上传成功：{why}",
}
templates.env.globals["EVIDENCE_REFUSALS"] = REFUSALS
templates.env.globals["EVIDENCE_MAX_MB"] = MB


def _owner(owner: str, owner_id: str) -> tuple[str, str, str]:
    if owner not in OWNERS or not ID.match(owner_id):
        raise Refused("没有找到这条记录。", status=404)
    return OWNERS[owner]


def _api(owner: str, township: str, owner_id: str) -> str:
    _, collection, _ = OWNERS[owner]
    return f"/api/v1/townships/{township}/{collection}/{owner_id}/evidence"


async def evidence_of(request: Request, who: Who, township: str, owner: str, owner_id: str) -> Optional[list[dict]]:
    """The owner's evidence for its page; None when the service cannot say (the page still shows)."""
    service, _, _ = OWNERS[owner]
    try:
        return await upstream(request).get(service, _api(owner, township, owner_id), who.token)
    except ServiceError:
        return None


def _uploads(form: dict[str, Any]) -> list[Any]:
    found = []
    for name in ("photo", "file"):
        value = form.get(name)
        for item in value if isinstance(value, list) else [value]:
            if getattr(item, "filename", ""):
                found.append(item)
    return found


@router.post("/evidence/{owner}/{owner_id}")
async def upload(request: Request, who: Who, owner: str, owner_id: str):
    service, _, page_path = _owner(owner, owner_id)
    form = await form_of(request, who)
    if who.home:
        township = who.home
    else:
        township = str(form.get("township", ""))
        if township not in {t["township"] for t in await townships(request, who)}:
            raise Refused("请先选择乡镇。", status=400)
    require(who, township)
    place = f"&township={township}" if who.home is None else ""
    here = f"{page_path}{owner_id}?{{}}{place}#evidence"
    files = _uploads(form)
    if not files:
        return back(here.format("ev=none"))
    keep = "true" if form.get("keep_location") else "false"
    idem = str(form.get("idem") or "")
    for n, item in enumerate(files):
        content = await item.read(MAX_BYTES + 1)
        name = item.filename or "file"
        if len(content) > MAX_BYTES:  # refused here: no need to send 20 MB on to be told the same
            return back(here.format(f"ev=too_large&evf={quote(name)}"))
        try:
            await upstream(request).call(
                service, "POST", _api(owner, township, owner_id), who.token, key=f"{idem}:{n}" if idem else None,
                files={"file": (name, content, item.content_type or "application/octet-stream")},
                data={"keep_location": keep})
        except ServiceError as err:
            body = err.body if isinstance(err.body, dict) else {}
            reason = body.get("reason") if body.get("reason") in REFUSALS else "failed"
            why = "服务暂时不可用，请稍后重试" if err.status >= 500 else f"服务返回 {err.status}"
            return back(here.format(f"ev={reason}&evf={quote(name)}&evw={quote(why)}&evn={n}"))
    return back(here.format(f"ev=ok&evn={len(files)}"))


async def _served(request: Request, who: Who, owner: str, owner_id: str, evidence_id: str, thumbnail: bool):
    service, _, _ = _owner(owner, owner_id)
    if not ID.match(evidence_id):
        raise Refused("没有找到这份材料。", status=404)
    township = await township_for(request, who)
    path = _api(owner, township, owner_id) + f"/{evidence_id}" + ("/thumbnail" if thumbnail else "")
    try:
        reply = await upstream(request).call(service, "GET", path, who.token, raw=True)
    except ServiceError as err:
        raise Refused("没有找到这份材料。" if err.status == 404 else "材料暂时无法获取，请稍后重试。",
                      status=err.status if err.status < 500 else 502) from None
    headers = {k: reply.headers[k] for k in ("content-disposition", "etag", "repr-digest") if k in reply.headers}
    headers.update({"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"})
    return Response(reply.content, media_type=reply.headers.get("content-type", "application/octet-stream"),
                    headers=headers)


@router.get("/evidence/{owner}/{owner_id}/{evidence_id}")
async def content(request: Request, who: Who, owner: str, owner_id: str, evidence_id: str):
    return await _served(request, who, owner, owner_id, evidence_id, thumbnail=False)


@router.get("/evidence/{owner}/{owner_id}/{evidence_id}/thumbnail")
async def thumbnail(request: Request, who: Who, owner: str, owner_id: str, evidence_id: str):
    return await _served(request, who, owner, owner_id, evidence_id, thumbnail=True)
