"""我的工单: a responsible unit's handler (a unit token) sees the issues its unit leads or co-handles, in every
township, and works them: 签收, 退回, 阶段答复, 延期申请, 办结. Nothing else of the console is open to it; another
unit's issue reads 无权查看, the same as one that does not exist."""
from __future__ import annotations

import re

from fastapi import APIRouter, Request

from console.pages.issues import DONE, NOT_YOURS, _checked, issue_context, perform, routable_units, unit_names
from console.upstream import ServiceError
from console.web import Refused, Who, back, form_of, is_handler, page, townships, upstream

router = APIRouter()
TOWNSHIP = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
HANDLER_ACTIONS = ("acknowledge", "return", "progress", "extension-requests", "close")
SHOWN = {"open": "办理中", "closed": "已办结"}


def _unit_of(who: Who) -> str:
    if not is_handler(who):
        raise Refused("我的工单只对责任单位的承办账号开放。")
    return who.principal.unit_id


def queue_rows(issues: list[dict], unit: str, names: dict[str, str], home: str = "") -> list[dict]:
    """Waiting to be acknowledged first, then the nearest deadline; each row says lead (牵头) or co-unit (协办)."""
    order = {"routed": 0, "unrouted": 0, "acknowledged": 1, "returned": 2}
    rows = []
    for i in issues:
        t = i.get("township") or home
        rows.append({**i, "township": t, "part": "牵头" if i.get("unit_id") == unit else "协办",
                     "township_name": names.get(t, t or "")})
    return sorted(rows, key=lambda i: (i.get("status") != "open", order.get(i.get("routing") or "", 1),
                                       i.get("deadline") or ""))


@router.get("/mine")
async def my_queue(request: Request, who: Who, status: str = "open"):
    unit = _unit_of(who)
    status = status if status in SHOWN else "open"
    found = await upstream(request).get("issues", f"/api/v1/units/{unit}/issues", who.token, status=status)
    names = {t["township"]: t["name"] for t in await townships(request, who)}
    rows = queue_rows(found, unit, names, who.home or "")
    waiting = sum(1 for r in rows if r.get("status") == "open" and r.get("routing") in ("routed", "unrouted"))
    return await page(request, "mine/queue.html", who, rows=rows, shown=status, shown_names=SHOWN, waiting=waiting)


def _township(township: str) -> str:
    if not TOWNSHIP.match(township):
        raise Refused(NOT_YOURS, status=404)
    return township


async def _detail(request: Request, who: Who, township: str, issue_id: str, status: int = 200, **extra):
    try:
        ctx = await issue_context(request, who, township, issue_id)
    except ServiceError as err:
        if err.status not in (403, 404):
            raise
        raise Refused(NOT_YOURS, status=404) from None
    return await page(request, "issues/detail.html", who, status=status,
                      **{**ctx, "post_base": f"/mine/{township}/{issue_id}", **extra})


@router.get("/mine/{township}/{issue_id}")
async def my_issue(request: Request, who: Who, township: str, issue_id: str, done: str = ""):
    _unit_of(who)
    return await _detail(request, who, _township(township), _checked(issue_id), notice=DONE.get(done))


@router.post("/mine/{township}/{issue_id}/{action}")
async def my_step(request: Request, who: Who, township: str, issue_id: str, action: str):
    form = await form_of(request, who)
    _unit_of(who)
    if action not in HANDLER_ACTIONS:
        raise Refused("没有这项操作。", status=404)
    township, issue_id = _township(township), _checked(issue_id)
    problem = await perform(request, who, township, issue_id, action, form)
    if problem is not None:
        if problem.status in (403, 404) and action != "close":
            # the issue is not (or no longer) this unit's: the same answer as for one that does not exist
            raise Refused(problem.message if problem.status == 403 else NOT_YOURS, status=problem.status)
        status = problem.status if 400 <= problem.status < 500 else 502
        return await _detail(request, who, township, issue_id, status=status, problem=problem, acted=action, typed=form)
    if action == "return":  # returned: no longer the unit's to work; back to the queue with the notice
        return back("/mine?done=return")
    return back(f"/mine/{township}/{issue_id}?done={action}#done")


__all__ = ["router", "queue_rows", "routable_units", "unit_names"]
