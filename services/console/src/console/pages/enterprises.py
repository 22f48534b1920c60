"""企业名录: the township's enterprises, one enterprise with its 包抓 leaders, visits and issues; registering one
(with the 统一社会信用代码 checked as it is typed) and importing the county platform's export."""
from __future__ import annotations

import re
from typing import Any, Optional
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from contracts import uscc
from console.messages import Problem, explain
from console.upstream import ServiceError
from console.web import Who, back, china_today, form_of, listed, page, require, templates, township_for, upstream
from console.words import ENTERPRISE_CATEGORY

router = APIRouter()
NOTICES = {"registered": "企业已登记。", "assigned": "已安排包抓领导。", "ended": "已结束包抓。"}
TEMPLATE_HEADERS = ["统一社会信用代码", "企业名称", "企业类别", "入库日期", "所在园区", "包抓领导"]
DATES = "YYYY-MM-DD、YYYY/M/D、YYYY.M.D 或 YYYY年M月D日"


def _api(township: str, rest: str = "") -> str:
    return f"/api/v1/townships/{township}{rest}"


# --- Pure helpers (unit-tested) ---------------------------------------------------------------

def matching(enterprises: list[dict], q: str = "", category: str = "") -> list[dict]:
    """Name or 信用代码 containing `q` (the code case- and space-insensitive), of `category` if given."""
    words, code = q.strip().casefold(), uscc.normalise(q)
    return [e for e in enterprises
            if (not category or e.get("category") == category)
            and (not words or words in e["name"].casefold() or (code and code in e["enterprise_id"].upper()))]


def uscc_problem(code: str) -> Optional[str]:
    """Why a typed code is not a valid 统一社会信用代码, in the contract's order of checks; None when valid."""
    c = uscc.normalise(code or "")
    if len(c) != 18:
        return f"应为18位，现在是{len(c)}位"
    bad = "".join(sorted({ch for ch in c if ch not in uscc.CHARSET}))
    if bad:
        return f"含有不能使用的字符：{bad}（统一社会信用代码不使用 I、O、Z、S、V）"
    if not c[2:8].isdigit():
        return "第3至8位应为6位数字的行政区划代码"
    expected = uscc.check_character(c[:17])
    if c[17] != expected:
        return f"校验位不正确：按前17位计算，第18位应为“{expected}”，现在是“{c[17]}”"
    org = uscc.org_check_character(c[8:16])
    if c[16] != org:
        return f"第17位（组织机构代码的校验位，GB 11714）应为“{org}”，现在是“{c[16]}”；请对照营业执照核对"
    return None


_CATEGORIES = "、".join(ENTERPRISE_CATEGORY.values())
# The importer's English reasons (services/visits/src/visits/importing.py), first match wins; {0} {1} are the groups.
ROW_REASONS = [
    (r"required: the cell is empty", "必填，该格为空"),
    (r"must be 18 characters, got (\d+)", "统一社会信用代码应为18位，现在是{0}位"),
    (r"characters not allowed in a USCC: (\S+)", "统一社会信用代码含有不能使用的字符：{0}（不使用 I、O、Z、S、V）"),
    (r"positions 3-8 must be", "统一社会信用代码第3至8位应为6位数字的行政区划代码"),
    (r"organisation code check character .* is '(.)', expected '(.)'", "第17位（组织机构代码校验位）是“{0}”，应为“{1}”"),
    (r"check character \(position 18\) is '(.)', expected '(.)'", "校验位（第18位）是“{0}”，按前17位计算应为“{1}”"),
    (r"is (\d+) characters long; at most (\d+)", "共{0}个字，最多{1}个字"),
    (r"unknown category ['\"](.*)['\"]; accepted", "没有“{0}”这个企业类别；可填：" + _CATEGORIES),
    (r"['\"](.*)['\"] is a number, not a date", "“{0}”是数字而不是日期；请把该格设为日期格式，或写成 " + DATES),
    (r"['\"](.*)['\"] is not a date", "“{0}”不是日期；请写成 " + DATES),
    (r"['\"](.*)['\"] is not a calendar date", "“{0}”不是存在的日期"),
    (r"duplicate of row (\d+)", "与第{0}行的统一社会信用代码重复"),
    (r"unknown official: (.*)", "本镇干部名单中没有：{0}（填干部姓名或编号，多人用“、”隔开）"),
]
FILE_REASONS = [
    (r"neither UTF-8 nor GBK", "CSV 文件的编码不是 UTF-8 或 GBK，无法读取"),
    (r"CSV file cannot be parsed", "CSV 文件格式有误，无法读取"),
    (r"cannot be read as an \.xlsx", "无法按 .xlsx 工作簿读取；如果是 .xls 文件，请用 Excel 另存为 .xlsx"),
    (r"unsupported file type", "只能导入 .csv 或 .xlsx 文件"),
    (r"has a header \(row (\d+)\) but no enterprise rows", "只有表头（第{0}行），下面没有企业"),
    (r"the file is empty", "文件是空的"),
    (r"columns ['\"](.*)['\"] and ['\"](.*)['\"] both hold", "“{0}”和“{1}”两列是同一项内容，请只保留一列"),
    (r"required column missing", "缺少必填的列；请下载模板，至少要有“统一社会信用代码”“企业名称”“企业类别”三列"),
]
EXCEL_NUMBER = "（该格是数字，Excel 会截成15位；请把这一列设为文本格式）"


def _translate(text: str, table: list[tuple[str, str]], fallback: str) -> str:
    for pattern, chinese in table:
        if m := re.search(pattern, text):
            return chinese.format(*m.groups())
    return fallback


def row_reason(reason: str) -> str:
    chinese = _translate(reason, ROW_REASONS, "填写有误")
    return chinese + (EXCEL_NUMBER if "cell holds a number" in reason else "")


def file_reason(reason: str) -> str:
    return _translate(reason, FILE_REASONS, "文件无法导入")


def import_report(report: dict, imported_at_all: bool) -> dict:
    """The service's row-by-row report in Chinese, with the counts a clerk reads first."""
    errors = [{"row": e["row"], "column": str(e["column"]).split(" (")[0], "reason": row_reason(str(e["reason"]))}
              for e in report.get("errors", [])]
    bad_rows, already = len({e["row"] for e in errors}), report.get("already_registered", [])
    return {"rows": report.get("rows", 0), "errors": errors, "bad_rows": bad_rows, "ok": imported_at_all,
            "imported": report.get("imported", []), "already": already,
            "skipped": bad_rows + len(already) if imported_at_all else report.get("rows", 0)}


def template_csv() -> bytes:
    # A BOM so that Excel opens the Chinese headers as UTF-8.
    return ("\ufeff" + ",".join(TEMPLATE_HEADERS) + "\r\n").encode("utf-8")


def history(enterprise: dict, names: dict[str, str]) -> list[dict]:
    """包抓 assignments, earliest first, with the official's name; `open` while no end is set."""
    return [{**a, "name": names.get(a["official_id"], a["official_id"]), "open": a.get("end") is None}
            for a in sorted(enterprise.get("assignments") or [], key=lambda a: (a["start"], a["official_id"]))]


RANKS = ("county", "township", "cadre", "other")


def by_rank(officials: list[dict]) -> list[tuple[str, list[dict]]]:
    """The checkboxes of 包抓 leaders, county leaders first, as the township lists them."""
    return [(rank, [o for o in officials if o.get("rank") == rank]) for rank in RANKS
            if any(o.get("rank") == rank for o in officials)]


def register_body(form: dict[str, Any]) -> dict:
    text = {k: str(form.get(k, "")).strip() for k in ("enterprise_id", "name", "category", "registered_on", "park")}
    return {"enterprise_id": uscc.normalise(text["enterprise_id"]), "name": text["name"], "category": text["category"],
            "registered_on": text["registered_on"] or None, "park": text["park"] or None,
            "assigned_official_ids": listed(form, "assigned_official_ids")}


# --- Screens ----------------------------------------------------------------------------------

async def _officials(request: Request, who: Who, township: str) -> list[dict]:
    return await upstream(request).get("visits", _api(township, "/officials"), who.token)


@router.get("/enterprises")
async def directory(request: Request, who: Who, q: str = "", category: str = "", done: str = ""):
    t = await township_for(request, who)
    up = upstream(request)
    enterprises = await up.get("visits", _api(t, "/enterprises"), who.token)
    names = {o["official_id"]: o["name"] for o in await _officials(request, who, t)}
    shown = sorted(matching(enterprises, q, category), key=lambda e: e["name"])
    return await page(request, "enterprises/list.html", who, township=t, enterprises=shown, total=len(enterprises),
                      names=names, q=q, category=category, notice=NOTICES.get(done))


@router.get("/enterprises/check-uscc", response_class=HTMLResponse)
async def check_uscc(request: Request, who: Who, enterprise_id: str = ""):
    """The HTMX partial under the 统一社会信用代码 field: valid, or what is wrong and the check character expected."""
    code = uscc.normalise(enterprise_id)
    why = uscc_problem(code) if code else None
    return templates.TemplateResponse(request, "enterprises/_uscc.html", {"code": code, "why": why})


@router.get("/enterprises/new")
async def new_form(request: Request, who: Who):
    t = await township_for(request, who)
    require(who, t)
    return await _form(request, who, t, {"registered_on": china_today().isoformat(), "assigned_official_ids": []})


async def _form(request: Request, who: Who, t: str, values: dict, problem: Optional[Problem] = None,
                status: int = 200, existing: Optional[dict] = None):
    return await page(request, "enterprises/new.html", who, status=status, township=t, values=values, problem=problem,
                      leaders=by_rank(await _officials(request, who, t)), existing=existing)


@router.post("/enterprises")
async def register(request: Request, who: Who):
    form = await form_of(request, who)
    t = await township_for(request, who)
    require(who, t)
    body = register_body(form)
    try:
        created = await upstream(request).post("visits", _api(t, "/enterprises"), who.token, body, key=form.get("idem"))
    except ServiceError as err:
        problem, existing = explain(err), None
        detail = err.body if isinstance(err.body, dict) else {}
        if err.status == 409 and "already exists" in str(detail.get("detail", "")):
            existing = detail.get("existing") or {"enterprise_id": body["enterprise_id"]}
            problem.message = "该企业已登记，无需重复登记。"
            problem.fields = {"enterprise_id": "该企业已登记"}
        elif err.status == 404 and "official" in (detail.get("unknown") or {}):
            problem.fields = {"assigned_official_ids": problem.message.removesuffix("。")}
        if "enterprise_id" in problem.fields and not existing and (why := uscc_problem(body["enterprise_id"])):
            problem.message = problem.message.replace(problem.fields["enterprise_id"], why)
            problem.fields["enterprise_id"] = why
        values = {**{k: str(form.get(k, "")) for k in ("enterprise_id", "name", "category", "registered_on", "park")},
                  "assigned_official_ids": body["assigned_official_ids"]}
        return await _form(request, who, t, values, problem, err.status if err.status < 500 else 502, existing)
    return back(_at(who, t, f"/enterprises/{created['enterprise_id']}?done=registered"))


def _at(who: Who, t: str, url: str) -> str:
    """A county person's links keep the township they look at."""
    if who.home:
        return url
    return url + ("&" if "?" in url else "?") + "township=" + quote(t)


@router.get("/enterprises/import")
async def import_form(request: Request, who: Who):
    t = await township_for(request, who)
    require(who, t)
    return await page(request, "enterprises/import.html", who, township=t, report=None, good_rows_only=False)


@router.get("/enterprises/import/template.csv")
async def import_template(who: Who):
    return Response(template_csv(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": "attachment; filename=\"enterprises-template.csv\"; "
                               "filename*=UTF-8''" + quote("企业名录导入模板.csv")})


@router.post("/enterprises/import")
async def import_file(request: Request, who: Who):
    form = await form_of(request, who)
    t = await township_for(request, who)
    require(who, t)
    upload, good_only = form.get("file"), bool(form.get("good_rows_only"))
    report, problem, status = None, None, 200
    if not getattr(upload, "filename", ""):
        problem, status = Problem("请选择要导入的文件。", {"file": "请选择 .csv 或 .xlsx 文件"}, status=422), 422
    else:
        content = await upload.read()
        files = {"file": (upload.filename, content, upload.content_type or "application/octet-stream")}
        try:
            reply = await upstream(request).call("visits", "POST", _api(t, "/enterprises/import"), who.token,
                                                 files=files, params={"good_rows_only": "true" if good_only else None})
            report = import_report(reply.body, True)
        except ServiceError as err:
            status = err.status if err.status < 500 else 502
            if err.status == 422 and isinstance(err.body, dict) and "errors" in err.body:
                report = import_report(err.body, False)
            else:
                problem = explain(err)
                if "file" in problem.fields:
                    why = file_reason(str(err.body["detail"][0].get("msg", "")))
                    problem = Problem(f"文件无法导入：{why}。", {"file": why}, status=422)
    return await page(request, "enterprises/import.html", who, status=status, township=t, report=report,
                      problem=problem, good_rows_only=good_only)


@router.get("/enterprises/{enterprise_id}")
async def detail(request: Request, who: Who, enterprise_id: str, done: str = ""):
    t = await township_for(request, who)
    return await _detail(request, who, t, enterprise_id, notice=NOTICES.get(done))


async def _detail(request: Request, who: Who, t: str, enterprise_id: str, status: int = 200, **extra):
    up, token = upstream(request), who.token
    e = await up.get("visits", _api(t, f"/enterprises/{quote(enterprise_id)}"), token)
    officials = await _officials(request, who, t)
    names = {o["official_id"]: o["name"] for o in officials}
    visits = await up.get("visits", _api(t, "/visits"), token, enterprise_id=e["enterprise_id"])
    try:
        issues = await up.get("issues", _api(t, "/issues"), token, enterprise_id=e["enterprise_id"])
        issues.sort(key=lambda i: i.get("raised_on") or "", reverse=True)
    except ServiceError:
        issues = None  # the enterprise is still worth seeing while the issue ledger is away
    assignments = history(e, names)
    current = {a["official_id"] for a in assignments if a["open"]}
    return await page(request, "enterprises/detail.html", who, status=status, township=t, e=e, assignments=assignments,
                      visits=sorted(visits, key=lambda v: v["visited_on"], reverse=True), issues=issues,
                      choices=[o for o in officials if o["official_id"] not in current], names=names,
                      **{"assign": {"start": china_today().isoformat()}, **extra})


@router.post("/enterprises/{enterprise_id}/assignments")
async def assign(request: Request, who: Who, enterprise_id: str):
    form = await form_of(request, who)
    t = await township_for(request, who)
    require(who, t)
    body = {"official_id": str(form.get("official_id", "")), "start": str(form.get("start", "")) or None}
    try:
        path = _api(t, f"/enterprises/{quote(enterprise_id)}/assignments")
        await upstream(request).post("visits", path, who.token, body)
    except ServiceError as err:
        problem = explain(err)
        if err.status == 404:
            problem.fields = {"official_id": problem.message.removesuffix("。")}
        return await _detail(request, who, t, enterprise_id, status=err.status if err.status < 500 else 502,
                             problem=problem, assign={**body, "start": form.get("start", "")})
    return back(_at(who, t, f"/enterprises/{quote(enterprise_id)}?done=assigned"))


@router.post("/enterprises/{enterprise_id}/assignments/{official_id}/end")
async def end_assignment(request: Request, who: Who, enterprise_id: str, official_id: str):
    form = await form_of(request, who)
    t = await township_for(request, who)
    require(who, t)
    end = str(form.get("end", ""))
    path = _api(t, f"/enterprises/{quote(enterprise_id)}/assignments/{quote(official_id)}/end")
    try:
        await upstream(request).post("visits", path, who.token, {"end": end})
    except ServiceError as err:
        problem = explain(err)
        if err.status == 422:
            started = re.search(r"started on (\d{4}-\d{2}-\d{2})", str(err.body))
            reason = f"不能早于包抓开始日期 {started.group(1)}" if started else problem.fields.get("end", "日期格式不正确")
            problem = Problem(f"结束日期{reason}。", {"end": reason}, status=422)
        elif err.status == 404:
            problem = Problem("这位干部目前没有包抓这家企业（可能已被他人结束），请刷新页面。", status=404)
        return await _detail(request, who, t, enterprise_id, status=err.status if err.status < 500 else 502,
                             problem=problem, ending={"official_id": official_id, "end": end})
    return back(_at(who, t, f"/enterprises/{quote(enterprise_id)}?done=ended"))
