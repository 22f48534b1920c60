"""The supervisor's screens: 延期审批 (the units' pending extension requests, approved or refused with a reason) and
通知记录 (the notifier's notices: kind, recipient, channel, status, attempts, last error) with each 督办单's
document, fetched through the console with the person's token."""
from __future__ import annotations

import asyncio
import re
from typing import Any, Optional
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from buildingblocks.auth import Role
from console import words
from console.messages import Problem, explain
from console.upstream import ServiceError
from console.web import Refused, Who, enterprise_names, page, townships, upstream

router = APIRouter()
SUPERVISOR = getattr(Role, "supervisor", Role.admin)
NUMBER = re.compile(r"^[^/\\]{1,60}$")
NOTIFIER_DOWN = "通知服务暂时不可用（未启动或无法连接），通知记录稍后再看；工单的办理不受影响。"


def _supervisors_only(who: Who) -> None:
    if who.principal.role < SUPERVISOR:
        raise Refused("延期审批和通知记录仅限督查人员和管理员查看。")


def pending_requests(issues: list[dict], township: str, township_name: str, names: dict[str, str]) -> list[dict]:
    """Each pending extension request of these issues, the oldest first (it has waited longest)."""
    out = []
    for i in issues:
        for r in i.get("extension_requests") or []:
            if r.get("status") == "pending":
                out.append({**r, "issue": i, "township": township, "township_name": township_name,
                            "subject": i.get("subject_name") or names.get(i.get("enterprise_id") or "", i.get("enterprise_id") or "")})
    return sorted(out, key=lambda r: (r.get("requested_on") or "", r.get("request_id")))


async def _pending_in(request: Request, who: Who, t: dict) -> list[dict]:
    try:
        issues = await upstream(request).get("issues", f"/api/v1/townships/{t['township']}/issues", who.token, status="open")
    except ServiceError as err:
        if err.status in (401, 403):
            return []
        raise
    if not any(i.get("extension_requests") for i in issues):
        return []
    names = await enterprise_names(request, who, t["township"])
    return pending_requests(issues, t["township"], t["name"], names)


@router.get("/supervision/extensions")
async def extensions(request: Request, who: Who, done: str = ""):
    notice = {"approved": "已同意延期，办理时限已更新。", "refused": "已不同意延期。"}.get(done)
    return await extensions_page(request, who, notice=notice)


async def extensions_page(request: Request, who: Who, status: int = 200, problem: Optional[Problem] = None,
                          typed: Optional[dict] = None, notice: Optional[str] = None):
    _supervisors_only(who)
    known = await townships(request, who)
    mine = known if who.home is None else [t for t in known if t["township"] == who.home]
    found = await asyncio.gather(*(_pending_in(request, who, t) for t in mine))
    rows = sorted((r for rs in found for r in rs), key=lambda r: (r.get("requested_on") or "", r["request_id"]))
    return await page(request, "supervision/extensions.html", who, status=status, problem=problem, notice=notice,
                      rows=rows, typed=typed or {})


# ---- 通知记录 ------------------------------------------------------------------------------------------------

def notice_rows(notices: list[dict], township_names: dict[str, str]) -> list[dict]:
    """Newest first; failed ones say why in Chinese beside the notifier's own reason."""
    rows = []
    for n in notices:
        m = re.fullmatch(r"督〔(\d{4})〕(\d+)号", n.get("number") or "")
        rows.append({**n, "doc_ref": f"{m[1]}-{m[2]}" if m else (n.get("number") or ""), "township_name": township_names.get(n.get("township"), n.get("township") or ""),
                     "created": (n.get("created_at") or "")[:16].replace("T", " "),
                     "sent": (n.get("sent_at") or "")[:16].replace("T", " ")})
    return sorted(rows, key=lambda n: n.get("created_at") or "", reverse=True)


@router.get("/notices")
async def notices_page(request: Request, who: Who, status: str = "", kind: str = "", issue_id: str = ""):
    _supervisors_only(who)
    known = await townships(request, who)
    status = status if status in words.NOTICE_STATUS else ""
    kind = kind if kind in words.NOTICE_KIND else ""
    issue_id = issue_id if re.fullmatch(r"[A-Za-z0-9_-]{1,120}", issue_id or "") else ""
    chosen = {"status": status, "kind": kind, "issue_id": issue_id}
    try:
        found = await upstream(request).get("notifier", "/api/v1/notices", who.token, status=status or None,
                                            kind=kind or None, issue_id=issue_id or None,
                                            township=who.home or None)
    except ServiceError as err:
        if err.status in (401, 403):
            raise
        down = NOTIFIER_DOWN if err.status >= 500 else explain(err).message
        return await page(request, "supervision/notices.html", who, rows=None, down=down, chosen=chosen, status=200)
    rows = notice_rows(found, {t["township"]: t["name"] for t in known})
    failed = sum(1 for r in rows if r.get("status") == "failed")
    return await page(request, "supervision/notices.html", who, rows=rows, down=None, chosen=chosen, failed=failed)


@router.get("/notices/supervision/{number}/document")
async def supervision_document(request: Request, who: Who, number: str):
    """The 督办单 as a .docx, from the notifier with the person's token (the browser never calls it)."""
    _supervisors_only(who)
    if not NUMBER.match(number):
        raise Refused("没有找到这份督办单。", 404)
    try:
        reply = await upstream(request).call("notifier", "GET", f"/api/v1/supervision-notices/{quote(number, safe='')}/document",
                                             who.token, raw=True)
    except ServiceError as err:
        if err.status == 404:
            raise Refused("没有找到这份督办单。", 404) from None
        if err.status >= 500:
            raise Refused(NOTIFIER_DOWN, 502) from None
        raise
    headers = {k.lower(): v for k, v in reply.headers.items()}
    fallback = f"attachment; filename*=UTF-8''{quote(number)}.docx"
    return Response(reply.content, media_type=headers.get(
        "content-type", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        headers={"Content-Disposition": headers.get("content-disposition", fallback)})


__all__: list[Any] = ["router", "extensions_page", "notice_rows", "pending_requests"]
