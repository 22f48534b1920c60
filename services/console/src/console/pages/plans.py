"""走访计划 and 企业走访日: the planned visits of the township (or of one official: 我的走访计划), and a campaign's page
where each invited leader's answer is taken (接受 / 谢绝, with the reason), its plans are made and its progress
(planned against done, per enterprise and per leader) is read."""
from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Request

from console.messages import Problem, explain
from console.upstream import ServiceError
from console.web import Who, back, china_today, form_of, page, require, township_for, upstream

router = APIRouter()
STATUS = {"planned": "待走访", "done": "已走访", "cancelled": "已取消", "not_planned": "未排计划"}
ANSWER = {"pending": "待答复", "accepted": "已接受", "declined": "已谢绝", "host": "乡镇陪同"}


def _tq(who, township: Optional[str], sep: str = "?") -> str:
    return f"{sep}township={township}" if who.home is None and township else ""


@router.get("/plans")
async def plans(request: Request, who: Who, official: str = ""):
    township = await township_for(request, who)
    up = upstream(request)
    params = {"from": china_today().isoformat()}
    if official:
        params["official_id"] = official
    found = await up.get("visits", f"/api/v1/townships/{township}/plans", who.token, **params)
    officials = await up.get("visits", f"/api/v1/townships/{township}/officials", who.token)
    campaigns = await up.get("visits", f"/api/v1/townships/{township}/campaigns", who.token)
    return await page(request, "plans/list.html", who, township=township, rows=found, officials=officials,
                      official=official, campaigns=campaigns, status_names=STATUS, tq=_tq(who, township))


async def _campaign_page(request: Request, who, township: str, campaign_id: str, problem: Optional[Problem] = None,
                         notice: Optional[str] = None, status: int = 200, made: Optional[dict] = None):
    up = upstream(request)
    campaign = await up.get("visits", f"/api/v1/townships/{township}/campaigns/{campaign_id}", who.token)
    progress = await up.get("visits", f"/api/v1/townships/{township}/campaigns/{campaign_id}/progress", who.token)
    names = {e["enterprise_id"]: e["name"] for e in await up.get("visits", f"/api/v1/townships/{township}/enterprises", who.token)}
    return await page(request, "plans/campaign.html", who, status, township=township, campaign=campaign,
                      progress=progress, names=names, problem=problem, notice=notice, made=made,
                      status_names=STATUS, answer_names=ANSWER, tq=_tq(who, township))


@router.get("/campaigns/{campaign_id}")
async def campaign(request: Request, who: Who, campaign_id: str, done: str = ""):
    township = await township_for(request, who)
    return await _campaign_page(request, who, township, campaign_id, notice="答复已记录。" if done == "answered" else None)


@router.post("/campaigns/{campaign_id}/answers")
async def answer(request: Request, who: Who, campaign_id: str):
    form = await form_of(request, who)
    township = await township_for(request, who)
    require(who, township)
    official_id = str(form.get("official_id") or "")
    accepted = str(form.get("answer") or "") == "accept"
    reason = str(form.get("reason") or "").strip()
    if not accepted and not reason:
        problem = Problem("谢绝邀请请写明原因。", {f"reason-{official_id}": "请写明谢绝的原因"}, status=422)
        return await _campaign_page(request, who, township, campaign_id, problem, status=422)
    try:
        await upstream(request).post("visits", f"/api/v1/townships/{township}/campaigns/{campaign_id}/answers",
                                     who.token, {"official_id": official_id, "accepted": accepted, "reason": reason})
    except ServiceError as err:
        if err.status in (401, 403):
            raise
        return await _campaign_page(request, who, township, campaign_id, explain(err), status=err.status)
    return back(f"/campaigns/{campaign_id}?done=answered{_tq(who, township, '&')}")


@router.post("/campaigns/{campaign_id}/plans")
async def make_plans(request: Request, who: Who, campaign_id: str):
    await form_of(request, who)
    township = await township_for(request, who)
    require(who, township)
    made = await upstream(request).post("visits", f"/api/v1/townships/{township}/campaigns/{campaign_id}/plans", who.token)
    notice = f"已生成走访计划 {len(made['made'])} 条" + (f"，{len(made['not_planned'])} 家企业未排（见下）" if made["not_planned"] else "") + "。"
    return await _campaign_page(request, who, township, campaign_id, notice=notice, made=made)
