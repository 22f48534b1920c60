"""问题台账 and one issue's page: the ledger with its filters, the history read as a timeline in Chinese, and the
clerk's 交办、办结、重新办理、延期 as forms."""
from __future__ import annotations

import re
from typing import Any, Optional

from fastapi import APIRouter, Request

from console import words
from console.messages import Problem, explain
from console.pages.evidence import evidence_of
from console.upstream import ServiceError
from console.web import Refused, Who, back, form_of, page, require, township_for, townships, upstream

router = APIRouter()
SEVERITY = {"red": 0, "yellow": 1, "blue": 2, "none": 3}
SHOWN = {"open": "办理中", "closed": "已办结", "all": "全部"}
LEVELS = {"red": "红色", "yellow": "黄色", "blue": "蓝色"}
UNASSIGNED = "未交办"
ID = re.compile(r"^[A-Za-z0-9_-]{1,120}$")
ACTIONS = {"assign": "交办", "close": "办结", "reopen": "重新办理", "extend": "延期"}
DONE = {"assign": "已交办。", "close": "已办结。", "reopen": "已重新办理，问题回到办理中。", "extend": "已延期，办理时限已更新。"}


# ---- the ledger -------------------------------------------------------------------------------------------------

def pick(issues: list[dict], unit: str = "", category: str = "") -> list[dict]:
    """The console's own filters: responsible unit (part of its name, or 未交办) and category."""
    unit = unit.strip()
    chosen = []
    for i in issues:
        if category and i.get("category") != category:
            continue
        if unit == UNASSIGNED and i.get("responsible_unit"):
            continue
        if unit and unit != UNASSIGNED and unit not in (i.get("responsible_unit") or ""):
            continue
        chosen.append(i)
    return chosen


def ordered(issues: list[dict]) -> list[dict]:
    """Open before closed; the most urgent first, then the nearest deadline; closed ones newest first."""
    open_ = sorted((i for i in issues if i.get("status") == "open"),
                   key=lambda i: (SEVERITY.get(i.get("level") or "none", 3), i.get("deadline") or ""))
    closed = sorted((i for i in issues if i.get("status") != "open"), key=lambda i: i.get("closed_on") or "", reverse=True)
    return open_ + closed


def units_of(issues: list[dict]) -> list[str]:
    return sorted({i["responsible_unit"] for i in issues if i.get("responsible_unit")})


async def enterprise_names(request: Request, who: Who, township: str) -> dict[str, str]:
    try:
        found = await upstream(request).get("visits", f"/api/v1/townships/{township}/enterprises", who.token)
    except ServiceError:
        return {}  # the ledger still shows, with credit codes for names
    return {e["enterprise_id"]: e["name"] for e in found}


@router.get("/issues")
async def ledger(request: Request, who: Who, status: str = "open", overdue: str = "", level: str = "", unit: str = "",
                 category: str = "", provisional: str = ""):
    township = await township_for(request, who)
    if township is None:
        raise Refused("还没有登记任何乡镇。", status=404)
    status = status if status in SHOWN else "open"
    level = level if level in LEVELS else ""
    category = category if category in words.ISSUE_CATEGORY else ""
    found = await upstream(request).get(
        "issues", f"/api/v1/townships/{township}/issues", who.token, status=None if status == "all" else status,
        overdue=bool(overdue), level=level or None, provisional=bool(provisional))
    shown = ordered(pick(found, unit, category))
    chosen = {"status": status, "overdue": bool(overdue), "level": level, "unit": unit.strip(), "category": category,
              "provisional": bool(provisional)}
    return await page(request, "issues/list.html", who, township=township, issues=shown, chosen=chosen,
                      units=units_of(found), names=await enterprise_names(request, who, township),
                      shown_names=SHOWN, level_names=LEVELS, unassigned=UNASSIGNED)


# ---- one issue --------------------------------------------------------------------------------------------------

def _who(by: Optional[str]) -> str:
    if not by:
        return ""
    if by == "intake:visit":
        return "走访登记（自动）"
    if by.startswith("intake:"):
        return "外部平台（自动）"
    return {"supervision": "督办（系统）", "calendar": "节假日安排（系统）"}.get(by, by)


def _when(at: Optional[str]) -> str:
    return (at or "")[:16].replace("T", " ")


def _deadline(day: Optional[str], provisional: Any = False) -> str:
    return f"{day}（暂定）" if day and provisional else (day or "")


def step(entry: dict) -> dict:
    """One history entry as a person reads it: a title and a few lines."""
    action = entry.get("action", "")
    e = entry
    lines: list[str] = []
    if action == "raised":
        title = "提出"
        lines.append(f"办理时限：{_deadline(e.get('deadline'), e.get('provisional'))}")
    elif action == "assigned":
        title = "交办"
        lines.append(f"交办给：{e.get('responsible_unit')}" +
                     (f"（原责任单位：{e['previous_unit']}）" if e.get("previous_unit") else ""))
        if e.get("reason"):
            lines.append(f"原因：{e['reason']}")
        if e.get("assigned_on"):
            lines.append(f"交办日期：{e['assigned_on']}")
    elif action == "escalated":
        worse = SEVERITY.get(e.get("level") or "none", 3) < SEVERITY.get(e.get("previous_level") or "none", 3)
        title = "督办升级" if worse else "督办等级调整"
        lines.append(f"督办等级：{words.LEVEL.get(e.get('level'), e.get('level'))}")
        if e.get("overdue_working_days"):
            lines.append(f"已超期 {e['overdue_working_days']} 个工作日")
        if e.get("on"):
            lines.append(f"日期：{e['on']}")
    elif action == "closed":
        title = "办结"
        lines.append(f"办结日期：{e.get('closed_on')}")
        lines.append(f"办理结果：{words.OUTCOME.get(e.get('outcome'), e.get('outcome'))}")
        if e.get("resolution"):
            lines.append(f"办理情况：{e['resolution']}")
        if e.get("satisfaction"):
            lines.append(f"企业满意度：{words.SATISFACTION.get(e['satisfaction'], e['satisfaction'])}")
    elif action == "reopened":
        title = "重新办理"
        if e.get("reason"):
            lines.append(f"原因：{e['reason']}")
        if e.get("deadline"):
            lines.append(f"新的办理时限：{e['deadline']}")
    elif action in ("deadline_changed", "extended"):
        by_calendar = e.get("by") == "calendar"
        title = "时限重算" if by_calendar else "延期"
        lines.append(f"办理时限：{e.get('previous') or '—'} → {_deadline(e.get('deadline'), e.get('provisional'))}")
        if by_calendar:
            lines.append("原因：载入节假日安排后按工作日重新计算")
        elif e.get("reason"):
            lines.append(f"原因：{e['reason']}")
    else:  # an action this console does not know yet: its fields, named where we can
        title = f"其他变更（{action}）"
        lines += [f"{words.label(k)}：{v}" for k, v in e.items() if k not in ("at", "by", "action") and v not in (None, "")]
    return {"action": action, "title": title, "lines": lines, "at": _when(e.get("at")), "by": _who(e.get("by"))}


def timeline(history: list[dict]) -> list[dict]:
    return [step(e) for e in history or []]


def actions_for(issue: dict) -> list[str]:
    """Only the actions that fit the status: an open issue is routed, closed or extended; a closed one reopened."""
    return ["assign", "close", "extend"] if issue.get("status") == "open" else ["reopen"]


def body_of(action: str, form: dict[str, Any]) -> dict[str, Any]:
    """The request to the issues service; blanks of optional fields are left out (the service's defaults apply)."""
    v = {k: str(form.get(k, "")).strip() for k in ("responsible_unit", "reason", "assigned_on", "closed_on", "outcome",
                                                     "resolution", "satisfaction", "reopened_on", "deadline")}
    if action == "assign":
        body = {"responsible_unit": v["responsible_unit"], "reason": v["reason"]}
        if v["assigned_on"]:
            body["assigned_on"] = v["assigned_on"]
        return body
    if action == "close":
        body = {"closed_on": v["closed_on"], "outcome": v["outcome"], "resolution": v["resolution"]}
        if v["satisfaction"]:
            body["satisfaction"] = v["satisfaction"]
        return body
    if action == "reopen":
        body = {"reopened_on": v["reopened_on"], "reason": v["reason"]}
        if v["deadline"]:
            body["deadline"] = v["deadline"]
        return body
    return {"deadline": v["deadline"], "reason": v["reason"]}


# The issues service's own refusals that name stored state, in Chinese (the shared phrases cannot know them).
REFINED = [
    (r"before the issue was raised \(([\d-]+)\)", "不能早于问题提出日期（{0}）"),
    (r"before the issue was closed \(([\d-]+)\)", "不能早于办结日期（{0}）"),
    (r"before the day the issue is reopened", "不能早于重新办理日期"),
    (r"later than the current deadline ([\d-]+)", "延期后的时限须晚于当前时限（{0}）"),
    (r"valid date", "日期格式不正确"),
]


def refused(err: ServiceError) -> Problem:
    """explain(), with the issue-specific reasons and conflicts said plainly."""
    problem = explain(err)
    body = err.body if isinstance(err.body, dict) else {}
    detail = body.get("detail")
    if err.status == 422 and isinstance(detail, list):
        for item in detail:
            where = [str(p) for p in item.get("loc", []) if p not in ("body", "query", "path")]
            msg = str(item.get("msg", ""))
            for pattern, chinese in REFINED:
                if where and (m := re.search(pattern, msg)):
                    problem.fields[where[0]] = chinese.format(*m.groups())
                    break
        named = "；".join(f"{words.label(f.split('.')[0])}：{m}" for f, m in problem.fields.items())
        problem.message = f"填写的内容有误：{named}。"
    elif err.status == 409:
        text = str(detail or "")
        if "only a closed issue can be reopened" in text:
            problem.message = "该问题仍在办理中，只有已办结的问题才能重新办理。"
        elif "closed" in text:
            problem.message = "该问题已经办结，不能再交办、办结或延期；请刷新页面查看最新状态，如需继续办理请重新办理。"
        elif "being changed by someone else" in text:
            problem.message = "该问题正被他人同时处理，请稍后再提交一次。"
    elif err.status == 404:
        problem.message = "没有找到这条问题（可能不属于本乡镇）。"
    return problem


def _checked(issue_id: str) -> str:
    if not ID.match(issue_id):
        raise Refused("没有找到这条问题。", status=404)
    return issue_id


async def _issue_page(request: Request, who: Who, township: str, issue_id: str, status: int = 200, **context):
    issue = await upstream(request).get("issues", f"/api/v1/townships/{township}/issues/{issue_id}", who.token)
    names = await enterprise_names(request, who, township)
    known = await upstream_units(request, who, township)
    return await page(request, "issues/detail.html", who, status=status, township=township, issue=issue,
                      steps=timeline(issue.get("history", [])), actions=actions_for(issue), action_names=ACTIONS,
                      enterprise_name=names.get(issue["enterprise_id"], issue["enterprise_id"]), units=known,
                      unassigned=UNASSIGNED, evidence=await evidence_of(request, who, township, "issue", issue_id),
                      **context)


async def upstream_units(request: Request, who: Who, township: str) -> list[str]:
    """Units issues were routed to before: suggestions for 交办."""
    try:
        return units_of(await upstream(request).get("issues", f"/api/v1/townships/{township}/issues", who.token))
    except ServiceError:
        return []


@router.get("/issues/{issue_id}")
async def issue_page(request: Request, who: Who, issue_id: str, done: str = ""):
    township = await township_for(request, who)
    if township is None:
        raise Refused("还没有登记任何乡镇。", status=404)
    try:
        return await _issue_page(request, who, township, _checked(issue_id), notice=DONE.get(done))
    except ServiceError as err:
        if err.status != 404:
            raise
        raise Refused(refused(err).message, status=404) from None


async def _township_of_form(request: Request, who: Who, form: dict) -> str:
    if who.home:
        return who.home
    asked = str(form.get("township", ""))
    if asked not in {t["township"] for t in await townships(request, who)}:
        raise Refused("请先选择乡镇。", status=400)
    return asked


@router.post("/issues/{issue_id}/{action}")
async def act(request: Request, who: Who, issue_id: str, action: str):
    form = await form_of(request, who)
    if action not in ACTIONS:
        raise Refused("没有这项操作。", status=404)
    _checked(issue_id)
    township = await _township_of_form(request, who, form)
    require(who, township)
    try:
        await upstream(request).post("issues", f"/api/v1/townships/{township}/issues/{issue_id}/{action}", who.token,
                                     body_of(action, form))
    except ServiceError as err:
        status = err.status if err.status < 500 else 502
        return await _issue_page(request, who, township, issue_id, status=status, problem=refused(err),
                                 acted=action, typed=form)
    place = f"&township={township}" if who.home is None else ""
    # its own fragment, or the browser keeps the form's #act-… and scrolls away from the notice
    return back(f"/issues/{issue_id}?done={action}{place}#done")
