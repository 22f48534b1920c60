"""年终考评: the county's weights, the year-end evaluations published (frozen, verifiable) and their downloads."""
from __future__ import annotations

from typing import Any, Optional

from fastapi import APIRouter, Request
from fastapi.responses import Response

from buildingblocks.auth import Role
from console.messages import Problem, explain
from console.pages.reports import COUNTY, _download, _frame
from console.upstream import ServiceError
from console.web import Refused, Who, back, china_today, form_of, page, upstream

router = APIRouter()
# The score's parts, as the reporting service names them (its README, "Year-end evaluation").
PARTS = [("coverage", "走访覆盖率"), ("on_time", "按时办结率"), ("resolution", "解决率"), ("satisfaction", "满意率"),
         ("attainment", "走访任务达标率")]
PART_NAMES = dict(PARTS)


def years(today_year: int) -> list[str]:
    """The years one may look at or publish: this one and the four before (the evaluation is of a past year)."""
    return [str(today_year - i) for i in range(5)]


def default_year(today) -> str:
    """In December this year's is being prepared; otherwise last year's is the one to publish."""
    return str(today.year if today.month == 12 else today.year - 1)


def may_publish(who, scope: str) -> bool:
    return who.principal.may(None if scope == COUNTY else scope, Role.admin if scope == COUNTY else Role.clerk)


def weights_problem(err: ServiceError) -> Problem:
    """The service names `coverage`…; the form's fields are `w_<part>`, and the message names the part in Chinese."""
    problem = explain(err)
    if err.status == 422:
        fields = {f"w_{k}": v for k, v in problem.fields.items() if k in PART_NAMES}
        named = "；".join(f"{PART_NAMES[k[2:]]}：{v}" for k, v in fields.items())
        problem = Problem(f"权重填写有误：{named or problem.message}", fields, status=422)
    return problem


def weights_body(form) -> dict[str, Any]:
    """The five weights as typed: a number where it reads as one, else the text (the service says why)."""
    out: dict[str, Any] = {}
    for key, _ in PARTS:
        text = str(form.get(f"w_{key}", "")).strip()
        try:
            out[key] = float(text)
        except ValueError:
            out[key] = text
    return out


async def _list(request: Request, who: Who, scope: str, year: str, status: int = 200, **extra) -> Response:
    ctx = await _frame(request, who, scope, "", "evaluations")
    today = china_today()
    year = year if year in years(today.year) else default_year(today)
    up = upstream(request)
    listed = await up.get("reporting", f"/api/v1/evaluations/{ctx['scope']}", who.token)
    setting = await up.get("reporting", "/api/v1/evaluation/weights", who.token) if who.home is None else None
    typed = extra.pop("typed", None)
    ctx = {**ctx, **extra}
    return await page(request, "reports/evaluations.html", who, status=status, **ctx, year=year, years=years(today.year),
                      evaluations=listed, setting=setting, parts=PARTS, typed=typed or (setting or {}).get("weights", {}),
                      may_publish_evaluation=may_publish(who, ctx["scope"]),
                      may_set_weights=who.home is None and who.principal.role >= Role.admin)


@router.get("/reports/evaluations")
async def evaluations_page(request: Request, who: Who, scope: str = "", year: str = "", done: str = ""):
    notice = {"weights": "考评权重已保存，此后发布的考评按新权重计算。"}.get(done)
    return await _list(request, who, scope, year, notice=notice)


@router.post("/reports/evaluations")
async def publish(request: Request, who: Who):
    form = await form_of(request, who)
    ctx = await _frame(request, who, str(form.get("scope", "")), "", "evaluations")
    scope, year = ctx["scope"], str(form.get("year", ""))
    if year not in years(china_today().year):
        return await _list(request, who, scope, year, status=422, problem=Problem("请选择考评年度。", {"year": "请选择考评年度"}))
    if not may_publish(who, scope):
        raise Refused("您的账号没有发布年终考评的权限（全县考评由县级管理员发布，乡镇考评由经办或管理员发布）。")
    try:
        await upstream(request).post("reporting", f"/api/v1/evaluations/{scope}/{year}", who.token)
    except ServiceError as err:
        problem = explain(err)
        if err.status == 409:
            problem.message = f"{ctx['place']}{year}年度考评已经发布，发布后不可修改。"
        return await _list(request, who, scope, year, status=err.status if err.status < 500 else 502, problem=problem,
                           existing=err.status == 409)
    return back(f"/reports/evaluations/{scope}/{year}?done=published")


@router.post("/reports/evaluations/weights")
async def set_weights(request: Request, who: Who):
    form = await form_of(request, who)
    body = weights_body(form)
    try:
        await upstream(request).put("reporting", "/api/v1/evaluation/weights", who.token, body)
    except ServiceError as err:
        return await _list(request, who, COUNTY, "", status=err.status if err.status < 500 else 502,
                           problem=weights_problem(err), typed={k: form.get(f"w_{k}", "") for k, _ in PARTS})
    return back("/reports/evaluations?done=weights")


async def _published(request: Request, who: Who, scope: str, year: str) -> tuple[dict, dict]:
    ctx = await _frame(request, who, scope, "", "evaluations")
    if ctx["scope"] != scope or not (len(year) == 4 and year.isdigit()):
        raise Refused("没有找到这份考评。", 404)
    return ctx, await upstream(request).get("reporting", f"/api/v1/evaluations/{scope}/{year}", who.token)


@router.get("/reports/evaluations/{scope}/{year}")
async def evaluation_page(request: Request, who: Who, scope: str, year: str, done: str = ""):
    ctx, ev = await _published(request, who, scope, year)
    shares = share_of(ev["weights"])
    return await page(request, "reports/evaluation.html", who, **ctx, ev=ev, year=year, parts=PARTS, shares=shares,
                      lists=ev["scorecards"], title=f"{ctx['place']}{year}年度遍访企业助企纾困工作考评结果",
                      notice="年终考评已发布，结果已冻结；可随时核验。" if done == "published" else None)


def share_of(weights: dict[str, float]) -> dict[str, Optional[float]]:
    total = sum(weights.values())
    return {k: (v / total if total else None) for k, v in weights.items()}


@router.get("/reports/evaluations/{scope}/{year}/verify")
async def verify(request: Request, who: Who, scope: str, year: str):
    await _published(request, who, scope, year)
    result = await upstream(request).get("reporting", f"/api/v1/evaluations/{scope}/{year}/verify", who.token)
    return await page(request, "reports/_verified.html", who, result=result)


@router.get("/reports/evaluations/{scope}/{year}/export")
async def export(request: Request, who: Who, scope: str, year: str):
    await _published(request, who, scope, year)
    return await _download(request, who, f"/api/v1/evaluations/{scope}/{year}/export", "xlsx")


@router.get("/reports/evaluations/{scope}/{year}/document")
async def document(request: Request, who: Who, scope: str, year: str):
    await _published(request, who, scope, year)
    return await _download(request, who, f"/api/v1/evaluations/{scope}/{year}/document", "docx", ("docx",))
