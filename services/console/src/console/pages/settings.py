"""设置 (admins only): a township's 免扰期 and issue rules (SLA per category, escalation thresholds); for the county
admin also the official holiday schedule of a year and the township registry. The services check every value;
this screen puts their refusals in Chinese under the field."""
from __future__ import annotations

import json
import re
from typing import Any, Optional

from fastapi import APIRouter, Request

from buildingblocks.auth import Role
from console import words
from console.messages import Problem, explain
from console.upstream import ServiceError
from console.web import Refused, Who, back, china_today, form_of, page, require, township_for, townships, upstream

router = APIRouter()
CATEGORIES = list(words.ISSUE_CATEGORY)
SLA = "sla_working_days."
TOWNSHIP_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")  # contracts.types.TOWNSHIP_PATTERN
ID_RULE = "只能用小写字母、数字和连字符（如 dacheng），不超过40个字符"
BOUNDS = {  # the services' bounds (visits TownshipSettingsIn, issues RulesIn), checked here too to name every field at once
    "quiet_period_days": (0, 365, "天"),
    "blue_within_working_days": (0, 60, "工作日"),
    "red_after_working_days": (0, 250, "工作日"),
    SLA: (1, 250, "工作日"),
}
RANGES = {k: f"应为{lo}到{hi}之间的整数（{unit}）" for k, (lo, hi, unit) in BOUNDS.items()}
LABELS = {
    "quiet_period_days": "免扰期", "blue_within_working_days": "蓝色预警", "red_after_working_days": "红色预警",
    "schedule": "节假日安排", "year": "年份", "township_id": "乡镇编号", "name": "乡镇名称", "county": "所属县", "form": "表单",
}
DONE = {
    "quiet": "免扰期已保存。", "rules": "办理时限和督办预警已保存，新提出的问题按新时限计算。",
    "calendar": "节假日安排已载入。", "township": "乡镇名录已保存。",
}
EXAMPLE = {
    "year": 2027, "source": "国办发明电〔2026〕×号",
    "holidays": ["2027-01-01/2027-01-03", "2027-02-05/2027-02-13"],
    "workdays": ["2027-02-14"],
}


# ---- what a refusal says, per field ---------------------------------------------------------------------------

def label_of(field: str) -> str:
    if field.startswith(SLA):
        return f"{words.ISSUE_CATEGORY.get(field[len(SLA):], field[len(SLA):])}办理时限"
    return LABELS.get(field, words.label(field))


def with_ranges(problem: Problem) -> Problem:
    """A range refusal names the range; the summary is rebuilt from the fields."""
    for f in list(problem.fields):
        bound = RANGES.get(SLA if f.startswith(SLA) else f)
        if bound and f != "schedule":
            problem.fields[f] = bound
        if f == "township":  # the registry's path parameter is the form's 乡镇编号
            problem.fields.pop(f)
            problem.fields["township_id"] = ID_RULE
    if problem.fields:
        problem.message = "填写的内容有误：" + "；".join(f"{label_of(f)}：{m}" for f, m in problem.fields.items()) + "。"
    return problem


def local_problem(fields: dict[str, str]) -> Problem:
    return with_ranges(Problem("", dict(fields), status=422))


_WHERE = re.compile(r"^(holidays|workdays)\[(\d+)\]$")
_SCHEDULE = [  # parse_schedule's messages (issues/calendar.py), first match wins
    (r"must be an object|valid dictionary", lambda m: "应为一个 JSON 对象（以 { 开头、} 结尾）"),
    (r"unknown field", lambda m: "是不认识的项（只能有 year、source、holidays、workdays 四项）"),
    (r"^missing$", lambda m: "缺少此项"),
    (r"is not a year", lambda m: "不是有效的年份"),
    (r"must name the notice", lambda m: "请填写国务院办公厅通知的文号，如 国办发明电〔2025〕7号"),
    (r"must be a list", lambda m: "应为日期或日期范围的列表，如 [\"2027-01-01/2027-01-03\"]"),
    (r"is not a string", lambda m: "应为加引号的日期，如 \"2027-01-01\""),
    (r"^(.*) is not a date$", lambda m: f"“{m[1]}”不是有效日期（格式 YYYY-MM-DD）"),
    (r"range (\S+) ends before it starts", lambda m: f"日期范围 {m[1]} 的结束日期早于开始日期"),
    (r"(\S+) is not in year (\d+)", lambda m: f"{m[1]} 不在{m[2]}年内"),
    (r"(\S+) is listed twice", lambda m: f"{m[1]} 重复列出"),
    (r"(\S+) is not a weekend day", lambda m: f"{m[1]} 不是周末（调休上班日只能是周六或周日）"),
    (r"both a holiday and a workday: (\S+)", lambda m: f"{m[1]} 不能既放假又调休上班"),
    (r"is the schedule of (\d+), not (\d+)", lambda m: f"内容是{m[1]}年的安排，与选择的{m[2]}年不一致"),
]


def schedule_message(message: str) -> str:
    """One of parse_schedule's refusals ("holidays[2]: 2027-02-30 is not a date") in Chinese, naming the item."""
    where, sep, what = message.partition(": ")
    if not sep:
        where, what = "", message
    if m := _WHERE.match(where):
        place = f"{'放假' if m[1] == 'holidays' else '调休上班'}（{m[1]}）第{int(m[2]) + 1}项"
    else:
        place = {"year": "年份（year）", "source": "通知文号（source）", "holidays": "放假（holidays）",
                 "workdays": "调休上班（workdays）", "schedule": ""}.get(where, where)
    for pattern, say in _SCHEDULE:
        if found := re.search(pattern, what):
            text = say(found)
            return f"{place}：{text}" if place else text
    return f"{place}：填写有误" if place else "填写有误"


def calendar_problem(err: ServiceError) -> Problem:
    """The calendar's 422 names the schedule item (or the year); anything else as usual."""
    detail = err.body.get("detail") if isinstance(err.body, dict) else None
    if err.status != 422 or not isinstance(detail, list):
        return explain(err)
    fields: dict[str, str] = {}
    for item in detail:
        loc = [str(p) for p in item.get("loc", []) if p not in ("body", "path")]
        msg = str(item.get("msg", ""))
        if loc[:1] == ["year"]:
            fields.setdefault("year", "应为2000到2099之间的年份" if "equal" in msg else schedule_message(msg))
        else:
            fields.setdefault("schedule", schedule_message(msg))
    return Problem("节假日安排有误：" + "；".join(fields.values()) + "。", fields, err.body, 422)


def json_problem(text: str) -> tuple[Any, Optional[Problem]]:
    """The textarea's JSON, or a Chinese note of where it breaks."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        why = f"不是有效的 JSON：第{exc.lineno}行第{exc.colno}列附近有误（注意用英文双引号和逗号）"
        return None, Problem(f"节假日安排{why}。", {"schedule": why}, status=422)


def whole_number(form: dict, name: str, fields: dict[str, str]) -> Optional[int]:
    """The field as an int within its bounds, else its Chinese reason in `fields`."""
    raw = str(form.get(name, "")).strip()
    if not raw:
        fields[name] = "必填"
        return None
    try:
        n = int(raw)
    except ValueError:
        fields[name] = "请填写整数"
        return None
    bounds = BOUNDS.get(SLA if name.startswith(SLA) else name)
    if bounds and not bounds[0] <= n <= bounds[1]:
        fields[name] = RANGES[SLA if name.startswith(SLA) else name]
    return n


# ---- the page ------------------------------------------------------------------------------------------------

def _admins_only(who: Who) -> None:
    if who.principal.role < Role.admin:
        raise Refused("设置仅限管理员：乡镇管理员设置本乡镇的事项，县级管理员设置各乡镇和全县的事项。您的账号没有设置权限。")


async def _township_of(request: Request, who: Who, asked: str) -> str:
    if who.home:
        return who.home
    known = {t["township"] for t in await townships(request, who)}
    if asked not in known:
        raise Refused("没有这个乡镇，请从列表中选择。", 422)
    return asked


async def _render(request: Request, who: Who, township: str, status: int = 200, problem: Optional[Problem] = None,
                  form: str = "", typed: Optional[dict] = None, **extra):
    up, token = upstream(request), who.token
    quiet = await up.get("visits", f"/api/v1/townships/{township}/settings", token)
    rules = await up.get("issues", f"/api/v1/townships/{township}/settings", token)
    county_admin = who.home is None
    years = (await up.get("issues", "/api/v1/calendar", token))["years"] if county_admin else []
    registry = await townships(request, who) if county_admin else []
    edit = request.query_params.get("edit", "")
    editing = next((t for t in registry if t["township"] == edit), None)
    values = {
        "quiet_period_days": quiet["quiet_period_days"],
        "blue_within_working_days": rules["blue_within_working_days"],
        "red_after_working_days": rules["red_after_working_days"],
        **{SLA + c: rules["sla_working_days"].get(c, "") for c in CATEGORIES},
        "year": china_today().year + 1, "schedule": "",
        "township_id": editing["township"] if editing else "", "name": editing["name"] if editing else "",
        "county": editing["county"] if editing else (registry[0]["county"] if registry else ""),
    }
    if typed:
        values.update(typed)
    return await page(request, "settings/settings.html", who, status=status, township=township, problem=problem,
                      values=values, form=form, years=years, registry=registry, county_admin=county_admin,
                      categories=words.ISSUE_CATEGORY, sla=SLA, example=json.dumps(EXAMPLE, ensure_ascii=False, indent=2),
                      editing=editing, **extra)


@router.get("/settings")
async def settings_page(request: Request, who: Who, done: str = ""):
    _admins_only(who)
    township = await township_for(request, who)
    notice = DONE.get(done)
    q = request.query_params
    if done == "calendar" and q.get("year", "").isdigit():
        notice = f"{q['year']}年节假日安排已载入" + (f"，重新计算了{q['recounted']}个暂定的办理时限。" if q.get("recounted", "0").isdigit() and q["recounted"] != "0" else "。")
    return await _render(request, who, township, notice=notice)


def _saved(what: str, township: str) -> Any:
    return back(f"/settings?township={township}&done={what}")


def _refused(err: ServiceError) -> int:
    return err.status if err.status < 500 else 502


@router.post("/settings/quiet")
async def save_quiet(request: Request, who: Who):
    form = await form_of(request, who)
    _admins_only(who)
    township = await _township_of(request, who, str(form.get("township", "")))
    require(who, township, Role.admin)
    typed = {"quiet_period_days": form.get("quiet_period_days", "")}
    fields: dict[str, str] = {}
    days = whole_number(form, "quiet_period_days", fields)
    if fields:
        return await _render(request, who, township, 422, local_problem(fields), "quiet", typed)
    try:
        await upstream(request).put("visits", f"/api/v1/townships/{township}/settings", who.token, {"quiet_period_days": days})
    except ServiceError as err:
        return await _render(request, who, township, _refused(err), with_ranges(explain(err)), "quiet", typed)
    return _saved("quiet", township)


@router.post("/settings/rules")
async def save_rules(request: Request, who: Who):
    form = await form_of(request, who)
    _admins_only(who)
    township = await _township_of(request, who, str(form.get("township", "")))
    require(who, township, Role.admin)
    names = [SLA + c for c in CATEGORIES] + ["blue_within_working_days", "red_after_working_days"]
    typed = {n: form.get(n, "") for n in names}
    fields: dict[str, str] = {}
    numbers = {n: whole_number(form, n, fields) for n in names}
    if fields:
        return await _render(request, who, township, 422, local_problem(fields), "rules", typed)
    body = {"sla_working_days": {c: numbers[SLA + c] for c in CATEGORIES},
            "blue_within_working_days": numbers["blue_within_working_days"],
            "red_after_working_days": numbers["red_after_working_days"]}
    try:
        await upstream(request).put("issues", f"/api/v1/townships/{township}/settings", who.token, body)
    except ServiceError as err:
        return await _render(request, who, township, _refused(err), with_ranges(explain(err)), "rules", typed)
    return _saved("rules", township)


def _county_admin(who: Who) -> None:
    if who.home is not None or not who.principal.may(None, Role.admin):
        raise Refused("只有县级管理员可以修改节假日安排和乡镇名录。")


@router.post("/settings/calendar")
async def load_calendar(request: Request, who: Who):
    form = await form_of(request, who)
    _county_admin(who)
    township = await township_for(request, who)
    typed = {"year": str(form.get("year", "")).strip(), "schedule": str(form.get("schedule", ""))}
    fields: dict[str, str] = {}
    year = whole_number(form, "year", fields)
    schedule, problem = json_problem(typed["schedule"]) if typed["schedule"].strip() else (None, None)
    if not typed["schedule"].strip():
        fields["schedule"] = "请粘贴该年的节假日安排（JSON）"
    if problem:
        fields.update(problem.fields)
    if fields:
        message = "节假日安排有误：" + "；".join(m if f == "schedule" else f"{label_of(f)}：{m}" for f, m in fields.items()) + "。"
        return await _render(request, who, township, 422, Problem(message, fields, status=422), "calendar", typed)
    try:
        done = await upstream(request).put("issues", f"/api/v1/calendar/{year}", who.token, schedule)
    except ServiceError as err:
        return await _render(request, who, township, _refused(err), calendar_problem(err), "calendar", typed)
    return back(f"/settings?township={township}&done=calendar&year={year}&recounted={done.get('recounted', 0)}")


@router.post("/settings/townships")
async def save_township(request: Request, who: Who):
    form = await form_of(request, who)
    _county_admin(who)
    here = await township_for(request, who)
    typed = {k: str(form.get(k, "")).strip() for k in ("township_id", "name", "county")}
    fields: dict[str, str] = {}
    if not TOWNSHIP_ID.match(typed["township_id"]):
        fields["township_id"] = ID_RULE
    for k in ("name", "county"):
        if not typed[k]:
            fields[k] = "必填"
    if fields:
        return await _render(request, who, here, 422, local_problem(fields), "township", typed)
    try:
        await upstream(request).put("visits", f"/api/v1/townships/{typed['township_id']}", who.token,
                                    {"name": typed["name"], "county": typed["county"]})
    except ServiceError as err:
        return await _render(request, who, here, _refused(err), with_ranges(explain(err)), "township", typed)
    request.app.state.township_cache.clear()  # the new name shows at once, not after the minute's cache
    return _saved("township", here)
