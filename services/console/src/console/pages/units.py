"""责任单位 (admins): the township's responsible units (名称, 类型, 负责人, 联系方式, 上级) added and edited, the county's
units for the county admin, and the default unit per issue category (分派规则) that routes a new issue without a
clerk. The issues service checks every value; its refusals are said in Chinese under the field, and what was typed
stays in the form."""
from __future__ import annotations

import re
from typing import Any, Optional

from fastapi import APIRouter, Request

from buildingblocks.auth import Role
from console import words
from console.messages import Problem, explain
from console.upstream import ServiceError
from console.web import Refused, Who, back, form_of, page, require, township_for, townships, upstream

router = APIRouter()
COUNTY = "county"
UNIT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
ID_RULE = "只能用小写字母、数字和连字符（如 dacheng-rss），不超过64个字符"
LABELS = {"unit_id": "单位编号", "name": "单位名称", "kind": "类型", "parent_id": "上级单位", "head": "负责人",
          "contact": "联系方式", "active": "启用", "form": "表单"}
ROUTE = "route."
DONE = {"unit": "责任单位已保存。", "routing": "分派规则已保存，新提出的问题按类别自动派发。"}


def _admins_only(who: Who) -> None:
    if who.principal.role < Role.admin:
        raise Refused("责任单位的设置仅限管理员。您的账号没有设置权限。")


def label_of(field: str) -> str:
    if field.startswith(ROUTE):
        return f"{words.ISSUE_CATEGORY.get(field[len(ROUTE):], field[len(ROUTE):])}的默认单位"
    return LABELS.get(field, words.label(field))


def named(problem: Problem, prefix: str = "") -> Problem:
    """The service's 422 with the form's field names (routing's by category) and the summary rebuilt."""
    fields = {}
    for f, m in problem.fields.items():
        key = f"{prefix}{f}" if prefix and f in words.ISSUE_CATEGORY else f
        fields[key] = m
    if problem.status == 404 and isinstance(problem.detail, dict) and "parent" in str(problem.detail.get("detail", "")):
        fields["parent_id"] = "没有这个上级单位"
    problem.fields = fields
    if fields:
        problem.message = "填写的内容有误：" + "；".join(f"{label_of(f)}：{m}" for f, m in fields.items()) + "。"
    return problem


def unit_body(form: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, str]]:
    """(unit id, the PUT body, the fields this console refuses itself)."""
    v = {k: str(form.get(k, "")).strip() for k in ("unit_id", "name", "kind", "parent_id", "head", "contact")}
    fields: dict[str, str] = {}
    if not UNIT_ID.match(v["unit_id"]):
        fields["unit_id"] = ID_RULE
    if not v["name"]:
        fields["name"] = "必填"
    if v["kind"] not in words.UNIT_KIND:
        fields["kind"] = "请选择类型"
    if v["parent_id"] and v["parent_id"] == v["unit_id"]:
        fields["parent_id"] = "不能是本单位自己"
    body: dict[str, Any] = {"name": v["name"], "kind": v["kind"], "active": bool(form.get("active"))}
    for k in ("parent_id", "head", "contact"):
        if v[k]:
            body[k] = v[k]
    return v["unit_id"], body, fields


async def _where(request: Request, who: Who, asked: str) -> str:
    """The registry this admin edits: their township's, or for the county admin a township's or the county's own."""
    if who.home:
        return who.home
    if asked == COUNTY:
        return COUNTY
    known = {t["township"] for t in await townships(request, who)}
    if asked in known:
        return asked
    return await township_for(request, who) or COUNTY


async def _render(request: Request, who: Who, where: str, status: int = 200, problem: Optional[Problem] = None,
                  form: str = "", typed: Optional[dict] = None, **extra):
    up = upstream(request)
    units = await up.get("issues", f"/api/v1/townships/{where}/units", who.token)
    routable = await up.get("issues", f"/api/v1/townships/{where}/units", who.token, routable="true") if where != COUNTY else units
    routing = await up.get("issues", f"/api/v1/townships/{where}/routing", who.token) if where != COUNTY else {}
    edit = request.query_params.get("edit", "")
    editing = next((u for u in units if u["unit_id"] == edit), None)
    values: dict[str, Any] = {"unit_id": "", "name": "", "kind": "", "parent_id": "", "head": "", "contact": "", "active": True}
    if editing:
        values.update({k: editing.get(k) or "" for k in ("unit_id", "name", "kind", "parent_id", "head", "contact")},
                      active=editing.get("active", True))
    routes = {ROUTE + c: (routing or {}).get(c) or "" for c in words.ISSUE_CATEGORY}
    if typed and form == "unit":
        values.update(typed)
    if typed and form == "routing":
        routes.update(typed)
    names = {u["unit_id"]: u["name"] for u in routable}
    known = await townships(request, who)
    return await page(request, "settings/units.html", who, status=status, problem=problem, form=form, where=where,
                      township=None if where == COUNTY else where, units=units, routable=routable, routes=routes,
                      names=names, values=values, editing=editing, route=ROUTE, categories=words.ISSUE_CATEGORY,
                      county_admin=who.home is None, registry=known,
                      where_name="县级单位" if where == COUNTY else next((t["name"] for t in known if t["township"] == where), where),
                      **extra)


@router.get("/settings/units")
async def units_page(request: Request, who: Who, where: str = "", done: str = ""):
    _admins_only(who)
    return await _render(request, who, await _where(request, who, where), notice=DONE.get(done))


def _saved(what: str, where: str):
    return back(f"/settings/units?where={where}&done={what}")


@router.post("/settings/units")
async def save_unit(request: Request, who: Who):
    form = await form_of(request, who)
    _admins_only(who)
    where = await _where(request, who, str(form.get("where", "")))
    require(who, None if where == COUNTY else where, Role.admin)
    unit_id, body, fields = unit_body(form)
    typed = {k: str(form.get(k, "")).strip() for k in ("unit_id", "name", "kind", "parent_id", "head", "contact")}
    typed["active"] = bool(form.get("active"))
    if fields:
        problem = named(Problem("", fields, status=422))
        return await _render(request, who, where, 422, problem, "unit", typed)
    try:
        await upstream(request).put("issues", f"/api/v1/townships/{where}/units/{unit_id}", who.token, body)
    except ServiceError as err:
        problem = named(explain(err))
        if err.status == 409:
            problem.message = "单位编号已被其他乡镇或县级单位使用（全县唯一），请换一个编号。"
            problem.fields = {"unit_id": "编号已被使用"}
        return await _render(request, who, where, err.status if err.status < 500 else 502, problem, "unit", typed)
    return _saved("unit", where)


@router.post("/settings/routing")
async def save_routing(request: Request, who: Who):
    form = await form_of(request, who)
    _admins_only(who)
    where = await _where(request, who, str(form.get("where", "")))
    if where == COUNTY:
        raise Refused("分派规则按乡镇设置，请先选择乡镇。", 422)
    require(who, where, Role.admin)
    typed = {ROUTE + c: str(form.get(ROUTE + c, "")).strip() for c in words.ISSUE_CATEGORY}
    body = {c: typed[ROUTE + c] or None for c in words.ISSUE_CATEGORY}
    try:
        await upstream(request).put("issues", f"/api/v1/townships/{where}/routing", who.token, body)
    except ServiceError as err:
        return await _render(request, who, where, err.status if err.status < 500 else 502, named(explain(err), ROUTE),
                             "routing", typed)
    return _saved("routing", where)
