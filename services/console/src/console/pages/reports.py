"""统计报表: a township's or the county's report for a period as tiles and charts, the ranking, the scorecards (考评),
the frozen bulletins (通报) with their check against the event log, and the CSV/XLSX downloads."""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Optional
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from buildingblocks.auth import Role
from console import words
from console.messages import explain
from console.upstream import ServiceError
from console.web import Refused, Who, back, china_today, form_of, page, townships, upstream

router = APIRouter()
COUNTY = "county"
FORMATS = ("csv", "xlsx")
DOCUMENTS = ("docx", "pdf")
FORMAT_REFUSALS = {FORMATS: "只能下载 CSV 或 Excel（xlsx）文件。", DOCUMENTS: "只能下载 Word（docx）或 PDF 文件。"}
LEDGERS = ("issues", "visits")  # 问题台账, 走访台账
_PERIOD = re.compile(r"(?P<y>[0-9]{4})(?:-(?:(?P<m>0[1-9]|1[0-2])|Q(?P<q>[1-4])|H(?P<h>[12])))?")  # reporting's Period.parse
NUMERALS = "一二三四"
RATES = [("coverage_rate", "走访覆盖率"), ("on_time_rate", "按期办结率"), ("satisfaction_rate", "满意率")]
COLORS = ["#1565c0", "#2e7d32", "#b7791f", "#c62828"]


# ---- periods -------------------------------------------------------------------------------------------------

def period_name(text: str) -> str:
    """2026-Q1 → 2026年第一季度; raises ValueError for what reporting would refuse."""
    m = _PERIOD.fullmatch(text or "")
    if not m or m["y"] == "0000":
        raise ValueError(text)
    y = m["y"]
    if m["m"]:
        return f"{y}年{int(m['m'])}月"
    if m["q"]:
        return f"{y}年第{NUMERALS[int(m['q']) - 1]}季度"
    if m["h"]:
        return f"{y}年{'上' if m['h'] == '1' else '下'}半年"
    return f"{y}年度"


def current_quarter(today: date) -> str:
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def _back_months(today: date, n: int) -> list[str]:
    out, y, m = [], today.year, today.month
    for _ in range(n):
        out.append(f"{y}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out


def _back_quarters(today: date, n: int) -> list[str]:
    out, y, q = [], today.year, (today.month - 1) // 3 + 1
    for _ in range(n):
        out.append(f"{y}-Q{q}")
        y, q = (y, q - 1) if q > 1 else (y - 1, 4)
    return out


def _back_halves(today: date, n: int) -> list[str]:
    out, y, h = [], today.year, 1 if today.month <= 6 else 2
    for _ in range(n):
        out.append(f"{y}-H{h}")
        y, h = (y, 1) if h == 2 else (y - 1, 2)
    return out


def period_choices(today: date, chosen: str = "") -> dict[str, list[tuple[str, str]]]:
    """The picker's groups, newest first; a chosen period outside them is offered too."""
    groups = {
        "季度": _back_quarters(today, 8), "月份": _back_months(today, 12),
        "半年": _back_halves(today, 4), "年度": [str(today.year - i) for i in range(3)],
    }
    if chosen and not any(chosen in g for g in groups.values()):
        groups["其他"] = [chosen]
    return {k: [(p, period_name(p)) for p in v] for k, v in groups.items()}


def quick_periods(today: date) -> list[tuple[str, str]]:
    """The last few periods a leader reads most: four quarters, this and last month, this year."""
    q = _back_quarters(today, 4)
    m = _back_months(today, 2)
    picks = [(q[0], "本季度"), (q[1], "上季度"), (q[2], period_name(q[2])), (q[3], period_name(q[3])),
             (m[0], "本月"), (m[1], "上月"), (str(today.year), "本年度")]
    return picks


# ---- figures -------------------------------------------------------------------------------------------------

def pct(rate: Optional[float]) -> str:
    """0.8214 → 82.1%; no denominator → —."""
    if rate is None:
        return "—"
    text = f"{rate * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


# The figures a report compares with the period before and the same period last year (reporting's COMPARED).
COMPARED = [("enterprises_registered", "纳入企业", "count"), ("enterprises_visited", "走访企业", "count"),
            ("coverage_rate", "走访覆盖率", "rate"), ("visits", "走访次数", "count"),
            ("county_leader_visits", "县级领导参与走访", "count"), ("demands_raised", "收集诉求", "count"),
            ("issues_raised", "新增问题", "count"), ("issues_closed", "办结问题", "count"), ("on_time_rate", "按期办结率", "rate"),
            ("resolution_rate", "解决率", "rate"), ("satisfaction_rate", "满意率", "rate"),
            ("mean_working_days_to_close", "平均办结用时（工作日）", "days")]
DAYS = [("mean_working_days_to_acknowledge", "平均签收用时"), ("p90_working_days_to_acknowledge", "签收用时（90%分位）"),
        ("mean_working_days_to_close", "平均办结用时"), ("p90_working_days_to_close", "办结用时（90%分位）")]


def days(value: Optional[float]) -> str:
    """2.25 → 2.3; none yet → —."""
    if value is None:
        return "—"
    return f"{value:.1f}".rstrip("0").rstrip(".")


def unit_rows(rows: list[dict]) -> list[dict]:
    """The per-unit table, the most received first, with its rates worked out (— where nothing to divide)."""
    def rate(n: int, d: int) -> Optional[float]:
        return n / d if d else None

    out = [{**u, "ack_on_time_rate": rate(u.get("acknowledged_on_time", 0), u.get("acknowledged", 0)),
            "close_on_time_rate": rate(u.get("closed_on_time", 0), u.get("closed", 0)),
            "resolution_rate": rate(u.get("resolved", 0), u.get("closed", 0)),
            "satisfied_rate": rate(u.get("satisfied", 0), u.get("followed_up", 0))} for u in rows]
    return sorted(out, key=lambda u: (-u.get("received", 0), u.get("name") or u.get("unit_id") or ""))


def _pct_value(rate: Optional[float]) -> Optional[float]:
    return None if rate is None else round(rate * 100, 1)


_UNRANKED = re.compile(r"needs at least (\d+) enterprises and (\d+) issues closed in the period \(has (\d+) and (\d+)\)")


def unranked_reason(reason: str) -> str:
    """ranking.py's English reason for leaving a township out, as a leader reads it."""
    m = _UNRANKED.search(reason or "")
    if not m:
        return "样本不足，暂不排名"
    need_e, need_c, has_e, has_c = m.groups()
    return (f"样本不足，暂不排名：需纳入企业不少于{need_e}家且本期办结问题不少于{need_c}件"
            f"（现有企业{has_e}家、本期办结{has_c}件）")


def in_order(by_category: dict[str, dict]) -> dict[str, dict]:
    """The categories in the order of the contract's list (用工, 融资, …), not the alphabet's."""
    cats = [c for c in words.ISSUE_CATEGORY if c in by_category] + sorted(set(by_category) - set(words.ISSUE_CATEGORY))
    return {c: by_category[c] for c in cats}


def category_chart(by_category: dict[str, dict]) -> dict[str, Any]:
    """Issues by category: raised, closed and open at the end, side by side."""
    cats = list(in_order(by_category))
    series = [("新增", "raised"), ("办结", "closed"), ("期末未办结", "open_at_end")]
    return {
        "color": COLORS, "tooltip": {"trigger": "axis"}, "legend": {"top": 0},
        "grid": {"left": 8, "right": 8, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": [words.ISSUE_CATEGORY.get(c, c) for c in cats],
                  "axisLabel": {"interval": 0, "rotate": 30}},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [{"name": name, "type": "bar", "barMaxWidth": 24, "data": [by_category[c].get(key, 0) for c in cats]}
                   for name, key in series],
    }


def rates_chart(report: dict[str, Any]) -> dict[str, Any]:
    """The three rates of one report as horizontal bars out of 100%."""
    return {
        "tooltip": {"trigger": "item", "formatter": "{b}：{c}%"},
        "grid": {"left": 8, "right": 48, "top": 12, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
        "yAxis": {"type": "category", "data": [label for _, label in reversed(RATES)]},
        "series": [{"type": "bar", "barMaxWidth": 28, "label": {"show": True, "position": "right", "formatter": "{c}%"},
                    "data": [{"value": _pct_value(report.get(k)), "itemStyle": {"color": COLORS[i]}}
                             for i, (k, _) in reversed(list(enumerate(RATES)))]}],
    }


def townships_chart(reports: list[dict[str, Any]], names: dict[str, str]) -> dict[str, Any]:
    """Every township's three rates, grouped by township."""
    return {
        "color": COLORS, "tooltip": {"trigger": "axis"}, "legend": {"top": 0},
        "grid": {"left": 8, "right": 8, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": [names.get(r["township"], r["township"]) for r in reports],
                  "axisLabel": {"interval": 0}},
        "yAxis": {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
        "series": [{"name": label, "type": "bar", "barMaxWidth": 36, "data": [_pct_value(r.get(k)) for r in reports]}
                   for k, label in RATES],
    }


def bulletin_title(place: str, period: str) -> str:
    return f"{place}{period_name(period)}遍访企业工作通报"


# ---- who sees what -------------------------------------------------------------------------------------------

def scope_of(who, asked: str, known: list[dict]) -> str:
    """A township person's own township; a county person's asked township, else the county."""
    if who.home:
        return who.home
    return asked if asked in {t["township"] for t in known} else COUNTY


def may_publish(who, scope: str) -> bool:
    return who.principal.may(None if scope == COUNTY else scope, Role.clerk)


def _names(known: list[dict]) -> dict[str, str]:
    return {t["township"]: t["name"] for t in known}


def _county_name(known: list[dict]) -> str:
    return next((t["county"] for t in known if t.get("county")), "全县")


def _place(scope: str, known: list[dict]) -> str:
    return _county_name(known) if scope == COUNTY else _names(known).get(scope, scope)


async def _frame(request: Request, who: Who, scope: str = "", period: str = "", tab: str = "") -> dict[str, Any]:
    """What every 统计报表 tab shares: the scope, the period (checked) and the picker."""
    known = await townships(request, who)
    today = china_today()
    scope = scope_of(who, scope, known)
    problem = None
    if period:
        try:
            period_name(period)
        except ValueError:
            problem = {"message": f"统计期“{period}”格式不正确：月份如 2026-03，季度如 2026-Q1，半年如 2026-H1，年度如 2026。"}
            period = ""
    period = period or current_quarter(today)
    return {
        "scope": scope, "period": period, "period_label": period_name(period), "place": _place(scope, known),
        "names": _names(known), "known": known, "choices": period_choices(today, period), "quick": quick_periods(today),
        "problem": problem, "township": None if scope == COUNTY else scope, "pct": pct,
        "may_publish": may_publish(who, scope), "rank_names": words.RANK, "tab": tab, "days": days,
        "days_figures": DAYS, "compared_figures": COMPARED,
    }


# ---- pages ---------------------------------------------------------------------------------------------------

@router.get("/reports")
async def report_page(request: Request, who: Who, period: str = "", scope: str = ""):
    ctx = await _frame(request, who, scope, period, "report")
    up, s, p = upstream(request), ctx["scope"], ctx["period"]
    if s == COUNTY:
        county = await up.get("reporting", f"/api/v1/reports/county/{p}", who.token)
        county["total"]["by_category"] = in_order(county["total"]["by_category"])
        reported = {r["township"] for r in county["townships"]}
        silent = [t for t in ctx["known"] if t["township"] not in reported]
        return await page(request, "reports/county.html", who, **ctx, county=county, report=county["total"], silent=silent,
                          unranked=[{**u, "why": unranked_reason(u["reason"])} for u in county["not_ranked"]],
                          towns_chart=townships_chart(county["townships"], ctx["names"]),
                          rates=rates_chart(county["total"]), categories=category_chart(county["total"]["by_category"]))
    try:
        report = await up.get("reporting", f"/api/v1/reports/{s}/{p}", who.token)
    except ServiceError as err:
        if err.status != 404:
            raise
        report = None
    charts = {}
    if report:
        report["by_category"] = in_order(report["by_category"])
        charts = {"rates": rates_chart(report), "categories": category_chart(report["by_category"])}
    return await page(request, "reports/township.html", who, **ctx, report=report, **charts)


@router.get("/reports/units")
async def units_page(request: Request, who: Who, period: str = "", scope: str = ""):
    """The per-unit table: received, acknowledged (on time), closed (on time), resolved, returned, 回访 satisfaction."""
    ctx = await _frame(request, who, scope, period, "units")
    try:
        rows = await upstream(request).get("reporting", f"/api/v1/reports/{ctx['scope']}/{ctx['period']}/units", who.token)
    except ServiceError as err:
        if err.status != 404:
            raise
        rows = []
    return await page(request, "reports/units.html", who, **ctx, rows=unit_rows(rows))


@router.get("/reports/scorecards")
async def scorecards_page(request: Request, who: Who, period: str = "", scope: str = ""):
    ctx = await _frame(request, who, scope, period, "scorecards")
    cards = await upstream(request).get("reporting", f"/api/v1/scorecards/{ctx['scope']}/{ctx['period']}", who.token)
    me = getattr(who.principal, "official_id", None)
    return await page(request, "reports/scorecards.html", who, **ctx, officials=cards["officials"], units=cards["units"], me=me)


@router.get("/reports/bulletins")
async def bulletins_page(request: Request, who: Who, period: str = "", scope: str = "", done: str = ""):
    ctx = await _frame(request, who, scope, period, "bulletins")
    return await _bulletins(request, who, ctx, notice="通报已发布，内容已冻结。" if done == "published" else None)


async def _bulletins(request: Request, who: Who, ctx: dict, status: int = 200, **extra) -> Response:
    try:
        listed = await upstream(request).get("reporting", f"/api/v1/bulletins/{ctx['scope']}", who.token)
    except ServiceError as err:
        if err.status not in (404, 405):  # an older reporting without the list
            raise
        listed = []
    for b in listed:
        b["name"] = period_name(b["period"])
    ctx = {**ctx, **extra}
    return await page(request, "reports/bulletins.html", who, status=status, **ctx, bulletins=listed)


@router.post("/reports/bulletins")
async def publish(request: Request, who: Who):
    form = await form_of(request, who)
    ctx = await _frame(request, who, str(form.get("scope", "")), str(form.get("period", "")), "bulletins")
    if ctx["problem"]:
        return await _bulletins(request, who, ctx, status=422)
    if not ctx["may_publish"]:
        raise Refused("您的账号没有发布通报的权限（经办或管理员才能发布）。")
    s, p = ctx["scope"], ctx["period"]
    try:
        await upstream(request).post("reporting", f"/api/v1/bulletins/{s}/{p}", who.token)
    except ServiceError as err:
        problem = explain(err)
        if err.status == 409:
            problem.message = f"该期通报已经发布（{ctx['place']}{ctx['period_label']}），发布后不可修改。"
        return await _bulletins(request, who, {**ctx, "problem": problem, "existing": err.status == 409},
                                status=err.status if err.status < 500 else 502)
    return back(f"/reports/bulletins/{s}/{p}?done=published")


async def _exactly(request: Request, who: Who, scope: str, period: str) -> dict[str, Any]:
    """A bulletin's address names its scope and period: one the person may not read, or no period, is not found."""
    ctx = await _frame(request, who, scope, period)
    if ctx["scope"] != scope or ctx["period"] != period:
        raise Refused("没有找到这份通报。", 404)
    return ctx


@router.get("/reports/bulletins/{scope}/{period}")
async def bulletin_page(request: Request, who: Who, scope: str, period: str, done: str = ""):
    ctx = await _exactly(request, who, scope, period)
    bulletin = await upstream(request).get("reporting", f"/api/v1/bulletins/{scope}/{period}", who.token)
    report = bulletin["report"]
    county = report if scope == COUNTY else None
    figures = county["total"] if county else report
    figures["by_category"] = in_order(figures.get("by_category", {}))
    unranked = [{**u, "why": unranked_reason(u["reason"])} for u in (county or {}).get("not_ranked", [])]
    doc = await _outline(request, who, scope, period)
    return await page(request, "reports/bulletin.html", who, **ctx, bulletin=bulletin, report=figures, county=county,
                      unranked=unranked, title=doc["title"] if doc else bulletin_title(ctx["place"], period), doc=doc,
                      tables={t["id"]: t for t in doc["tables"]} if doc else {},
                      charts={c["id"]: {**c, "option": document_chart(c)} for c in doc["charts"]} if doc else {},
                      notice="通报已发布，内容已冻结；可随时核验是否与原始记录一致。" if done == "published" else None)


async def _outline(request: Request, who: Who, scope: str, period: str) -> Optional[dict[str, Any]]:
    """The document's outline (what its .docx and PDF print), or None from a reporting without documents."""
    try:
        return await upstream(request).get("reporting", f"/api/v1/bulletins/{scope}/{period}/outline", who.token)
    except ServiceError as err:
        if err.status not in (404, 405):
            raise
        return None


def document_chart(chart: dict[str, Any]) -> dict[str, Any]:
    """One of the document's charts (图n) as an ECharts option: the same bars the printed copy shows."""
    percent = chart.get("unit") == "%"
    axis = {"type": "value", **({"axisLabel": {"formatter": "{value}%"}} if percent else {})}
    return {
        "color": COLORS, "tooltip": {"trigger": "axis"}, "legend": {"top": 0},
        "grid": {"left": 8, "right": 8, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": chart["categories"], "axisLabel": {"interval": 0}}, "yAxis": axis,
        "series": [{"name": s["name"], "type": "bar", "barMaxWidth": 36, "data": s["values"]} for s in chart["series"]],
    }


@router.get("/reports/bulletins/{scope}/{period}/verify")
async def verify(request: Request, who: Who, scope: str, period: str):
    ctx = await _exactly(request, who, scope, period)
    result = await upstream(request).get("reporting", f"/api/v1/bulletins/{scope}/{period}/verify", who.token)
    if request.headers.get("hx-request"):
        return await page(request, "reports/_verified.html", who, result=result)
    return await page(request, "reports/verified.html", who, **ctx, result=result,
                      title=bulletin_title(ctx["place"], period))


# ---- downloads (the person's own token; reporting's Chinese headers and file name) -----------------------------

async def _download(request: Request, who: Who, path: str, fmt: str, formats: tuple[str, ...] = FORMATS) -> Response:
    if fmt not in formats:
        raise Refused(FORMAT_REFUSALS.get(formats, "不支持这种文件格式。"), 422)
    reply = await upstream(request).call("reporting", "GET", path, who.token, params={"format": fmt}, raw=True)
    headers = {k.lower(): v for k, v in reply.headers.items()}
    fallback = f"attachment; filename*=UTF-8''{quote(path.strip('/').replace('/', '-'))}.{fmt}"
    return Response(reply.content, media_type=headers.get("content-type"),
                    headers={"Content-Disposition": headers.get("content-disposition", fallback)})


@router.get("/reports/ledger")
async def ledger(request: Request, who: Who, period: str = "", scope: str = "", format: str = "xlsx", kind: str = "issues"):
    ctx = await _frame(request, who, scope, period)
    if ctx["problem"]:  # never another period's file than the one asked for
        raise Refused(ctx["problem"]["message"], 422)
    if kind not in LEDGERS:
        raise Refused("台账只有问题台账和走访台账两种。", 422)
    return await _download(request, who, f"/api/v1/ledger/{ctx['scope']}/{ctx['period']}/{kind}", format)


@router.get("/reports/bulletins/{scope}/{period}/export")
async def bulletin_export(request: Request, who: Who, scope: str, period: str, format: str = "xlsx"):
    await _exactly(request, who, scope, period)
    return await _download(request, who, f"/api/v1/bulletins/{scope}/{period}/export", format)


@router.get("/reports/bulletins/{scope}/{period}/document")
async def bulletin_document(request: Request, who: Who, scope: str, period: str, format: str = "docx"):
    await _exactly(request, who, scope, period)
    return await _download(request, who, f"/api/v1/bulletins/{scope}/{period}/document", format, DOCUMENTS)
