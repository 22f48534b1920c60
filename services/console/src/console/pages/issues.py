"""问题台账 and one issue's page: the ledger with its filters, the history read as a timeline in Chinese, and the
clerk's 交办、办结、重新办理、延期 as forms."""
from __future__ import annotations

import re
from typing import Any, Optional

from fastapi import APIRouter, Request

from console import words
from console.messages import Problem, explain
from console.pages.evidence import evidence_of
from console.pages.notices import extensions_page
from console.upstream import ServiceError
from console.web import (Refused, Who, back, enterprise_names, form_of, is_handler, listed, may_write, page, require,
                         township_for, townships, upstream)

router = APIRouter()
SEVERITY = {"red": 0, "yellow": 1, "blue": 2, "none": 3}
SHOWN = {"open": "办理中", "closed": "已办结", "all": "全部"}
LEVELS = {"red": "红色", "yellow": "黄色", "blue": "蓝色"}
UNASSIGNED = "未交办"
ID = re.compile(r"^[A-Za-z0-9_-]{1,120}$")
ACTIONS = {"assign": "交办", "close": "办结", "reopen": "重新办理", "extend": "延期", "acknowledge": "签收",
           "return": "退回", "co-handling": "协办单位", "progress": "阶段答复", "extension-requests": "延期申请",
           "follow-up": "回访"}
DONE = {"assign": "已交办。", "close": "已办结。", "reopen": "已重新办理，问题回到办理中。", "extend": "已延期，办理时限已更新。",
        "acknowledge": "已签收。", "return": "已退回，等待重新派发。", "co-handling": "协办单位已保存。",
        "progress": "阶段答复已提交。", "extension-requests": "延期申请已提交，等待督查审批。",
        "follow-up": "回访已记录。", "follow-up-reopened": "回访已记录：企业不满意，问题已重新办理。",
        "approved": "已同意延期，办理时限已更新。", "refused": "已不同意延期。"}


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


@router.get("/issues")
async def ledger(request: Request, who: Who, status: str = "open", overdue: str = "", level: str = "", unit: str = "",
                 category: str = "", provisional: str = "", routing: str = "", kind: str = ""):
    township = await township_for(request, who)
    if township is None:
        raise Refused("还没有登记任何乡镇。", status=404)
    status = status if status in SHOWN else "open"
    level = level if level in LEVELS else ""
    category = category if category in words.ISSUE_CATEGORY else ""
    routing = routing if routing in words.ROUTING else ""
    kind = kind if kind in ("issue", "finding") else ""
    found = await upstream(request).get(
        "issues", f"/api/v1/townships/{township}/issues", who.token, status=None if status == "all" else status,
        overdue=bool(overdue), level=level or None, provisional=bool(provisional), routing=routing or None,
        kind=kind or None)
    if routing:  # an older service ignores the filter: keep it exact here
        found = [i for i in found if i.get("routing") == routing]
    shown = ordered(pick(found, unit, category))
    chosen = {"status": status, "overdue": bool(overdue), "level": level, "unit": unit.strip(), "category": category,
              "provisional": bool(provisional), "routing": routing, "kind": kind}
    return await page(request, "issues/list.html", who, township=township, issues=shown, chosen=chosen,
                      units=units_of(found), names=await enterprise_names(request, who, township),
                      shown_names=SHOWN, level_names=LEVELS, unassigned=UNASSIGNED,
                      returned=routing == "returned")


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


def _unit(e: dict, key: str, units: dict[str, str]) -> str:
    uid = e.get(key)
    return units.get(uid, uid) if uid else ""


def step(entry: dict, units: Optional[dict[str, str]] = None) -> dict:
    """One history entry as a person reads it: a title and a few lines; unit ids by their names."""
    units = units or {}
    action = entry.get("action", "")
    e = entry
    lines: list[str] = []
    if action == "raised":
        title = "提出"
        lines.append(f"办理时限：{_deadline(e.get('deadline'), e.get('provisional'))}")
        if e.get("responsible_unit") or e.get("unit_id"):
            lines.append(f"派发给：{e.get('responsible_unit') or _unit(e, 'unit_id', units)}（按类别默认派发）")
    elif action == "assigned":
        title = "派发" if e.get("unit_id") else "交办"
        lines.append(f"交办给：{e.get('responsible_unit') or _unit(e, 'unit_id', units)}" +
                     (f"（原责任单位：{e['previous_unit']}）" if e.get("previous_unit") else ""))
        if e.get("reason"):
            lines.append(f"原因：{e['reason']}")
        if e.get("assigned_on"):
            lines.append(f"交办日期：{e['assigned_on']}")
    elif action == "acknowledged":
        title = "签收"
        lines.append(f"签收单位：{e.get('responsible_unit') or _unit(e, 'unit_id', units)}")
        if e.get("acknowledged_on"):
            lines.append(f"签收日期：{e['acknowledged_on']}")
        days = e.get("working_days", e.get("working_days_to_acknowledge"))
        if days is not None:
            lines.append(f"用时 {days} 个工作日" +
                         ("" if e.get("on_time", True) else "（超过签收时限）"))
    elif action == "returned":
        title = "退回"
        lines.append(f"退回单位：{e.get('responsible_unit') or _unit(e, 'unit_id', units)}")
        if e.get("reason"):
            lines.append(f"退回原因：{e['reason']}")
        if e.get("suggested_unit_id"):
            lines.append(f"建议改派：{_unit(e, 'suggested_unit_id', units)}")
    elif action in ("co_handling_set", "co_handling", "co_units_set"):
        title = "协办"
        names = [units.get(u, u) for u in e.get("co_unit_ids") or []]
        lines.append("协办单位：" + ("、".join(names) if names else "无（取消协办）"))
        if e.get("lead_unit_id"):
            lines.append(f"牵头单位：{_unit(e, 'lead_unit_id', units)}")
    elif action in ("progress_noted", "progress"):
        title = "协办部分完成" if e.get("part_done") else "阶段答复"
        if e.get("unit_id"):
            lines.append(f"答复单位：{_unit(e, 'unit_id', units)}")
        if e.get("note"):
            lines.append(f"答复内容：{e['note']}")
    elif action == "extension_requested":
        title = "延期申请"
        lines.append(f"申请延期至：{e.get('requested_deadline')}" + (f"（原时限 {e['deadline']}）" if e.get("deadline") else ""))
        if e.get("reason"):
            lines.append(f"申请原因：{e['reason']}")
    elif action == "extension_decided":
        title = "延期审批"
        lines.append("审批结果：" + ("同意" if e.get("approved") else "不同意"))
        if e.get("deadline"):
            lines.append(f"办理时限：{e['deadline']}")
        if e.get("reason"):
            lines.append(f"审批意见：{e['reason']}")
    elif action == "followed_up":
        title = "回访"
        lines.append(f"企业满意度：{words.SATISFACTION.get(e.get('satisfaction'), e.get('satisfaction'))}")
        if e.get("followed_up_on"):
            lines.append(f"回访日期：{e['followed_up_on']}")
        if e.get("note"):
            lines.append(f"回访情况：{e['note']}")
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
            lines.append(f"原因：{e['reason'].replace('回访不满意: ', '回访不满意：')}")
        if e.get("deadline"):
            lines.append(f"新的办理时限：{e['deadline']}")
    elif action in ("deadline_changed", "extended"):
        by_calendar = e.get("by") == "calendar"
        title = "时限重算" if by_calendar else "延期"
        lines.append(f"办理时限：{e.get('previous') or '—'} → {_deadline(e.get('deadline'), e.get('provisional'))}")
        approved = re.match(r"extension request \S+ approved: (.*)", e.get("reason") or "", re.S)
        if by_calendar:
            lines.append("原因：载入节假日安排后按工作日重新计算")
        elif approved:
            title = "延期（已批准延期申请）"
            lines.append(f"申请原因：{approved[1]}")
        elif e.get("reason"):
            lines.append(f"原因：{e['reason']}")
    else:  # an action this console does not know yet: its fields, named where we can
        title = f"其他变更（{action}）"
        lines += [f"{words.label(k)}：{v}" for k, v in e.items() if k not in ("at", "by", "action") and v not in (None, "")]
    return {"action": action, "title": title, "lines": lines, "at": _when(e.get("at")), "by": _who(e.get("by"))}


def timeline(history: list[dict], units: Optional[dict[str, str]] = None) -> list[dict]:
    return [step(e, units) for e in history or []]


def actions_for(issue: dict, who: Any = None) -> list[str]:
    """Only the actions that fit the status and the person: a unit's handler 签收/退回/答复/申请延期/办结 its own
    issue (a co-unit only answers its part); a clerk routes, sets co-units, closes, follows up and reopens; a
    supervisor or admin also extends directly."""
    open_ = issue.get("status") == "open"
    unit = getattr(getattr(who, "principal", None), "unit_id", None) if who is not None else None
    role = getattr(getattr(who, "principal", None), "role", None)
    if unit is not None and getattr(role, "name", "") == "handler":
        if not open_:
            return []
        if issue.get("unit_id") != unit:  # a co-unit
            return ["progress"]
        if issue.get("routing") in ("routed", "unrouted", None):
            return ["acknowledge", "return"]
        if issue.get("routing") == "returned":
            return []
        return ["progress", "extension-requests", "close", "return"]
    supervisor = role is not None and role.name in ("supervisor", "admin")
    if not open_:
        return ["follow-up", "reopen"]
    acts = ["assign", "co-handling", "progress", "extension-requests", "close"]
    return acts + (["extend"] if supervisor or role is None else [])


def body_of(action: str, form: dict[str, Any]) -> dict[str, Any]:
    """The request to the issues service; blanks of optional fields are left out (the service's defaults apply)."""
    keys = ("responsible_unit", "reason", "assigned_on", "closed_on", "outcome", "resolution", "satisfaction",
            "reopened_on", "deadline", "unit_id", "acknowledged_on", "suggested_unit_id", "note", "followed_up_on")
    v = {k: str(form.get(k, "") if not isinstance(form.get(k), list) else form.get(k)[0]).strip() for k in keys}
    if action == "assign":
        body = {"reason": v["reason"]}
        if v["unit_id"]:
            body["unit_id"] = v["unit_id"]
        else:
            body["responsible_unit"] = v["responsible_unit"]
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
    if action == "acknowledge":
        return {"acknowledged_on": v["acknowledged_on"]} if v["acknowledged_on"] else {}
    if action == "return":
        body = {"reason": v["reason"]}
        if v["suggested_unit_id"]:
            body["suggested_unit_id"] = v["suggested_unit_id"]
        return body
    if action == "co-handling":
        return {"co_unit_ids": listed(form, "co_unit_ids[]")}
    if action == "progress":
        return {"note": v["note"], "part_done": bool(form.get("part_done"))}
    if action == "follow-up":
        body = {"satisfaction": v["satisfaction"], "note": v["note"]}
        if v["followed_up_on"]:
            body["followed_up_on"] = v["followed_up_on"]
        return body
    return {"deadline": v["deadline"], "reason": v["reason"]}  # extend, extension-requests


# The issues service's own refusals that name stored state, in Chinese (the shared phrases cannot know them).
REFINED = [
    (r"before the issue was raised \(([\d-]+)\)", "不能早于问题提出日期（{0}）"),
    (r"before the issue was closed \(([\d-]+)\)", "不能早于办结日期（{0}）"),
    (r"before the issue was routed \(([\d-]+)\)", "不能早于派发日期（{0}）"),
    (r"before the issue was routed", "不能早于派发日期"),
    (r"is the unit that returns it", "不能是退回的本单位"),
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
        raise Refused(NOT_YOURS, status=404)
    return issue_id


NOT_YOURS = "无权查看这条问题，或问题不存在。"


async def routable_units(request: Request, who: Who, township: str) -> list[dict]:
    """The units an issue of this township can go to (its own and the county's); none from an older service."""
    try:
        found = await upstream(request).get("issues", f"/api/v1/townships/{township}/units", who.token, routable="true")
    except ServiceError:
        return []
    return [u for u in found if u.get("active", True)]


def unit_names(units: list[dict], issue: Optional[dict] = None) -> dict[str, str]:
    names = {u["unit_id"]: u["name"] for u in units}
    for c in (issue or {}).get("co_units") or []:
        names.setdefault(c["unit_id"], c.get("name") or c["unit_id"])
    if issue and issue.get("unit_id") and issue.get("responsible_unit"):
        names.setdefault(issue["unit_id"], issue["responsible_unit"])
    return names


async def issue_context(request: Request, who: Who, township: str, issue_id: str) -> dict[str, Any]:
    """What an issue's page shows, for a clerk's page and a handler's alike."""
    issue = await upstream(request).get("issues", f"/api/v1/townships/{township}/issues/{issue_id}", who.token)
    names = await enterprise_names(request, who, township)
    units = await routable_units(request, who, township)
    named = unit_names(units, issue)
    pending = [r for r in issue.get("extension_requests") or [] if r.get("status") == "pending"]
    if issue.get("routing") == "returned":  # the returning unit's suggestion preselects the re-route
        last = next((e for e in reversed(issue.get("history") or []) if e.get("action") == "returned"), {})
        issue["returned_suggestion"] = last.get("suggested_unit_id") or ""
    allowed = is_handler(who) or may_write(who, township)
    subject = issue.get("subject_name") or names.get(issue.get("enterprise_id") or "", issue.get("enterprise_id") or "")
    return {"township": township, "issue": issue, "steps": timeline(issue.get("history", []), named),
            "actions": actions_for(issue, who) if allowed else [], "action_names": ACTIONS, "enterprise_name": subject,
            "units": await upstream_units(request, who, township) if not units else [u["name"] for u in units],
            "routable": units, "unit_names": named, "pending": pending, "unassigned": UNASSIGNED,
            "evidence": await evidence_of(request, who, township, "issue", issue_id)}


async def _issue_page(request: Request, who: Who, township: str, issue_id: str, status: int = 200, **context):
    ctx = await issue_context(request, who, township, issue_id)
    return await page(request, "issues/detail.html", who, status=status, **{**ctx, **context})


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
        if err.status not in (403, 404):
            raise
        raise Refused(NOT_YOURS, status=404) from None


async def _township_of_form(request: Request, who: Who, form: dict) -> str:
    if who.home:
        return who.home
    asked = str(form.get("township", ""))
    if asked not in {t["township"] for t in await townships(request, who)}:
        raise Refused("请先选择乡镇。", status=400)
    return asked


def co_unit_problem(err: ServiceError, names: dict[str, str]) -> Optional[str]:
    """The close refused while co-units have not reported their part: name them."""
    text = str((err.body or {}).get("detail") if isinstance(err.body, dict) else err.body or "")
    if err.status != 409 or "co-unit" not in text.replace("co_unit", "co-unit"):
        return None
    missing = [n for uid, n in names.items() if re.search(rf"\b{re.escape(uid)}\b", text)]
    return "还有协办单位没有报告完成其部分：" + ("、".join(missing) if missing else text) + "；请协办单位提交“协办部分完成”后再办结。"


def lifecycle_problem(err: ServiceError, names: dict[str, str]) -> Problem:
    problem = refused(err)
    if (said := co_unit_problem(err, names)) is not None:
        problem.message = said
    elif err.status == 409:
        text = str((err.body or {}).get("detail") if isinstance(err.body, dict) else "")
        for pattern, chinese in LIFECYCLE_CONFLICTS:
            if re.search(pattern, text, re.IGNORECASE):
                problem.message = chinese
                break
    elif err.status == 403:
        problem.message = "您的账号不能进行这项操作（签收、退回、办结只能由牵头单位办理；回访不能由承办单位进行；延期审批须督查或管理员）。"
    return problem


LIFECYCLE_CONFLICTS = [
    (r"already acknowledged|only a routed issue is acknowledged", "该问题已经签收过了（或已退回），请刷新页面查看最新状态。"),
    (r"not routed|returned", "该问题已退回或尚未派发给您的单位，请刷新页面查看最新状态。"),
    (r"pending", "已有一份延期申请在等待审批，请等审批后再申请。"),
    (r"already decided", "这份延期申请已经审批过了。"),
    (r"only a closed issue|not closed|still open", "只有已办结的问题才能回访或重新办理。"),
]


async def perform(request: Request, who: Who, township: str, issue_id: str, action: str, form: dict[str, Any]) -> Optional[Problem]:
    """Send one lifecycle step; the refusal in Chinese, or None when it went through."""
    try:
        await upstream(request).post("issues", f"/api/v1/townships/{township}/issues/{issue_id}/{action}", who.token,
                                     body_of(action, form))
    except ServiceError as err:
        units = await routable_units(request, who, township)
        try:  # a handler lists no units: the issue's co-units name themselves
            issue = await upstream(request).get("issues", f"/api/v1/townships/{township}/issues/{issue_id}", who.token)
        except ServiceError:
            issue = None
        return lifecycle_problem(err, unit_names(units, issue))
    return None


def reopened_by(action: str, form: dict[str, Any]) -> str:
    return "follow-up-reopened" if action == "follow-up" and form.get("satisfaction") == "dissatisfied" else action


@router.post("/issues/{issue_id}/{action}")
async def act(request: Request, who: Who, issue_id: str, action: str):
    form = await form_of(request, who)
    if action not in ACTIONS or action in ("acknowledge", "return"):  # the unit's own steps are on 我的工单
        raise Refused("没有这项操作。", status=404)
    _checked(issue_id)
    township = await _township_of_form(request, who, form)
    require(who, township)
    problem = await perform(request, who, township, issue_id, action, form)
    if problem is not None:
        status = problem.status if 400 <= problem.status < 500 else 502
        return await _issue_page(request, who, township, issue_id, status=status, problem=problem, acted=action, typed=form)
    place = f"&township={township}" if who.home is None else ""
    # its own fragment, or the browser keeps the form's #act-… and scrolls away from the notice
    return back(f"/issues/{issue_id}?done={reopened_by(action, form)}{place}#done")


@router.post("/issues/{issue_id}/extension-requests/{request_id}/decision")
async def decide(request: Request, who: Who, issue_id: str, request_id: str):
    """延期审批 from the issue's page or the supervisor's list; `next` says where to go back to."""
    form = await form_of(request, who)
    _checked(issue_id)
    _checked(request_id)
    township = await _township_of_form(request, who, form)
    approved = form.get("approved") == "yes"
    body = {"approved": approved, "reason": str(form.get("reason", "")).strip()}
    target = str(form.get("next", ""))
    try:
        await upstream(request).post(
            "issues", f"/api/v1/townships/{township}/issues/{issue_id}/extension-requests/{request_id}/decision",
            who.token, body)
    except ServiceError as err:
        problem = lifecycle_problem(err, {})
        if target == "list":
            return await extensions_page(request, who, problem=problem, typed={request_id: body["reason"]},
                                         status=err.status if err.status < 500 else 502)
        return await _issue_page(request, who, township, issue_id, status=err.status if err.status < 500 else 502,
                                 problem=problem, acted="decision", typed={"reason": body["reason"]})
    done = "approved" if approved else "refused"
    if target == "list":
        return back(f"/supervision/extensions?done={done}")
    place = f"&township={township}" if who.home is None else ""
    return back(f"/issues/{issue_id}?done={done}{place}#done")
