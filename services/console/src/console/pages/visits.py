"""走访登记 and 走访台账: a clerk logs a visit from a phone right after leaving the enterprise (weak connection: the
form's Idempotency-Key makes a double tap or a retry log it once), and everyone reads the ledger."""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Optional

from fastapi import APIRouter, Query, Request

from console.messages import Problem, explain
from console.pages.evidence import evidence_of
from console.upstream import ServiceError
from console.web import Who, back, china_today, form_of, listed, page, require, township_for, upstream

router = APIRouter()
DEMAND = re.compile(r"^demands-(\d+)-(category|description|resolved_on_spot)$")
USCC_LIKE = re.compile(r"^[0-9A-Z]{18}$")
MATCHES = 8


# --- pure helpers (tests/unit/console/test_visits.py) ---

def demands_of(form: dict[str, Any]) -> list[dict]:
    """The 诉求 rows in the order shown; a row left wholly blank is no demand."""
    rows: dict[int, dict] = {}
    for key, value in form.items():
        if m := DEMAND.match(key):
            value = value[-1] if isinstance(value, list) else value
            rows.setdefault(int(m[1]), {})[m[2]] = value
    out = []
    for _, row in sorted(rows.items()):
        category, description = (row.get("category") or "").strip(), (row.get("description") or "").strip()
        if category or description:
            out.append({"category": category, "description": description,
                        "resolved_on_spot": bool(row.get("resolved_on_spot"))})
    return out


def visitors_of(form: dict[str, Any]) -> list[str]:
    """The chosen visitors, the lead (带队) first: the service reads the first as the lead."""
    chosen = list(dict.fromkeys(listed(form, "visitor_ids")))
    lead = str(form.get("lead") or "")
    if lead:  # choosing someone to lead means they went
        chosen = [lead] + [v for v in chosen if v != lead]
    return chosen


def typed(form: dict[str, Any]) -> dict[str, Any]:
    """What the person typed, as the form shows it again."""
    visitors = visitors_of(form)
    return {
        "enterprise_id": str(form.get("enterprise_id") or "").strip().upper(),
        "visited_on": str(form.get("visited_on") or ""),
        "visitor_ids": visitors,
        "lead": visitors[0] if visitors else "",
        "channel": str(form.get("channel") or "in_person"),
        "kind": str(form.get("kind") or "routine"),
        "services": listed(form, "services"),
        "summary": str(form.get("summary") or ""),
        "demands": demands_of(form),
        "override_reason": str(form.get("override_reason") or ""),
        "check_in_lat": str(form.get("check_in_lat") or "").strip(),
        "check_in_lng": str(form.get("check_in_lng") or "").strip(),
        "guard": _kept_guard(form),
    }


def visit_body(values: dict[str, Any]) -> dict[str, Any]:
    body = {k: values[k] for k in ("enterprise_id", "visited_on", "visitor_ids", "channel", "kind", "services",
                                   "summary", "demands")}
    if values["override_reason"].strip():
        body["override_reason"] = values["override_reason"].strip()
    if values.get("check_in_lat") and values.get("check_in_lng"):  # the phone's position (console.js), optional
        try:
            body["check_in"] = {"lat": float(values["check_in_lat"]), "lng": float(values["check_in_lng"])}
        except ValueError:
            pass  # not a number: a tampered field; the visit is logged without a check-in
    return body


def form_fields(fields: dict[str, str]) -> dict[str, str]:
    """The service's field paths (demands.0.description, visitor_ids.1) as this form's field names."""
    out: dict[str, str] = {}
    for where, reason in fields.items():
        parts = where.split(".")
        if parts[0] == "demands" and len(parts) >= 3 and parts[1].isdigit():
            name = f"demands-{parts[1]}-{parts[2]}"
        elif parts[0] == "demands" and len(parts) == 2 and parts[1].isdigit():
            name = f"demands-{parts[1]}-description"
        else:
            name = parts[0]
        out.setdefault(name, reason)
    return out


def guard_of(detail: Any) -> Optional[dict[str, str]]:
    """The disturbance guard's refusal: the last visit's date and lead, and when a routine visit is allowed again."""
    if not isinstance(detail, dict) or not isinstance(detail.get("last_visit"), dict):
        return None
    last = detail["last_visit"]
    return {"on": str(last.get("visited_on") or ""), "by": str(last.get("by") or ""),
            "from": str(detail.get("routine_visit_allowed_from") or "")}


def _kept_guard(form: dict[str, Any]) -> Optional[dict[str, str]]:
    if not form.get("guard-on"):
        return None
    return {"on": str(form["guard-on"]), "by": str(form.get("guard-by") or ""), "from": str(form.get("guard-from") or "")}


def matches(enterprises: list[dict], q: str, limit: int = MATCHES) -> list[dict]:
    """Enterprises whose name contains q, or whose 信用代码 contains it."""
    q = q.strip()
    if not q:
        return []
    up = q.upper()
    return [e for e in enterprises if q.lower() in e["name"].lower() or up in e["enterprise_id"]][:limit]


def officials_for(officials: list[dict], enterprise: Optional[dict]) -> tuple[list[dict], list[dict]]:
    """The enterprise's 包抓 leaders first (offered, not ticked), then everyone else."""
    assigned_ids = list((enterprise or {}).get("assigned_official_ids") or [])
    by_id = {o["official_id"]: o for o in officials}
    assigned = [by_id[i] for i in assigned_ids if i in by_id]
    return assigned, [o for o in officials if o["official_id"] not in assigned_ids]


def ledger_rows(visits: list[dict], enterprise: str, kind: str) -> list[dict]:
    q = enterprise.strip().lower()
    rows = [v for v in visits if (not kind or v.get("kind") == kind)
            and (not q or USCC_LIKE.match(q.upper()) or q in (v.get("enterprise_name") or "").lower())]
    return sorted(rows, key=lambda v: (v.get("visited_on") or "", v.get("logged_at") or ""), reverse=True)


# --- pages ---

def _tq(who, township: Optional[str], sep: str = "?") -> str:
    """County people name the township in the address; a township person's is their own."""
    return f"{sep}township={township}" if who.home is None and township else ""


async def _form(request: Request, who, township: str, values: dict[str, Any], problem=None, status: int = 200,
                idem: Optional[str] = None):
    up, base = upstream(request), f"/api/v1/townships/{township}"
    enterprises = await up.get("visits", f"{base}/enterprises", who.token)
    officials = await up.get("visits", f"{base}/officials", who.token)
    chosen = next((e for e in enterprises if e["enterprise_id"] == values["enterprise_id"]), None)
    assigned, others = officials_for(officials, chosen)
    extra = {"idem": idem} if idem else {}
    return await page(request, "visits/new.html", who, status=status, township=township, v=values,
                      enterprises=sorted(enterprises, key=lambda e: e["name"]), chosen=chosen, assigned=assigned,
                      others=others, problem=problem, tq=_tq(who, township), tamp=_tq(who, township, "&"), **extra)


@router.get("/visits/new")
async def new_visit(request: Request, who: Who, enterprise_id: str = ""):
    township = await township_for(request, who)
    require(who, township)
    values = typed({"enterprise_id": enterprise_id, "visited_on": china_today().isoformat()})
    return await _form(request, who, township, values)


@router.get("/visits/enterprise-search")
async def enterprise_search(request: Request, who: Who, q: str = ""):
    township = await township_for(request, who)
    found = []
    if q.strip():
        found = matches(await upstream(request).get("visits", f"/api/v1/townships/{township}/enterprises", who.token), q)
    return await page(request, "visits/_matches.html", who, township=township, matches=found, q=q.strip(),
                      tamp=_tq(who, township, "&"))


@router.get("/visits/enterprise-pick")
async def enterprise_pick(request: Request, who: Who):
    """The picked enterprise (a hidden field and its name), and the visitors again with its 包抓 leaders first."""
    township = await township_for(request, who)
    params = request.query_params
    form = {"enterprise_id": params.get("enterprise_id", ""), "visitor_ids": params.getlist("visitor_ids"),
            "lead": params.get("lead", "")}
    values = typed(form)
    up, base = upstream(request), f"/api/v1/townships/{township}"
    enterprises = await up.get("visits", f"{base}/enterprises", who.token)
    chosen = next((e for e in enterprises if e["enterprise_id"] == values["enterprise_id"]), None)
    assigned, others = officials_for(await up.get("visits", f"{base}/officials", who.token), chosen)
    return await page(request, "visits/_picked.html", who, township=township, v=values, chosen=chosen,
                      enterprises=sorted(enterprises, key=lambda e: e["name"]), assigned=assigned, others=others,
                      tq=_tq(who, township), tamp=_tq(who, township, "&"))


def _local_problem(values: dict[str, Any], action: str) -> Optional[Problem]:
    """What the console can tell at once, without asking the service."""
    if not values["enterprise_id"]:
        return Problem("请先选择走访的企业。", {"enterprise_id": "请选择企业"}, status=422)
    untyped = {f"demands-{n}-category": "请选择类别" for n, d in enumerate(values["demands"]) if not d["category"]}
    if untyped:
        return Problem("请为每条诉求选择类别。", untyped, status=422)
    if action == "joint" and len(values["visitor_ids"]) < 2:
        return Problem("联合走访至少需要两名走访人员：请在“走访人员”中再勾选一名，然后再点“改为联合走访”。",
                       {"visitor_ids": "联合走访至少需要两名走访人员"}, status=422)
    if action == "override" and not values["override_reason"].strip():
        return Problem("请写明再次走访的原因，再点“说明原因后提交”。", {"override_reason": "请写明原因"}, status=422)
    return None


@router.post("/visits")
async def log_visit(request: Request, who: Who):
    form = await form_of(request, who)
    township = await township_for(request, who)
    require(who, township)
    values = typed(form)
    action = str(form.get("action") or "log")
    if action == "joint":
        values["kind"] = "joint"
    if problem := _local_problem(values, action):
        return await _form(request, who, township, values, problem, 422)
    try:
        made = await upstream(request).post("visits", f"/api/v1/townships/{township}/visits", who.token,
                                            visit_body(values), key=str(form.get("idem") or "") or None)
    except ServiceError as err:
        problem = explain(err)
        problem.fields = form_fields(problem.fields)
        if err.status == 409 and (guard := guard_of(problem.detail)):
            values["guard"] = guard
            problem.message = "这家企业在免扰期内已被走访过，本次走访还没有登记。请看下面的说明。"
        # Unanswered (timeout, 5xx): it may have been stored, so a retry must carry the same key.
        # Refused (4xx): nothing was stored, so the next try is a new request with a new key.
        keep = str(form.get("idem") or "") if err.status >= 500 else None
        return await _form(request, who, township, values, problem, err.status if err.status < 500 else 502, keep)
    return back(f"/visits/{made['visit_id']}?done=logged{_tq(who, township, '&')}")


@router.get("/visits")
async def ledger(request: Request, who: Who, start: str = Query("", alias="from"), end: str = Query("", alias="to"),
                 enterprise: str = "", kind: str = ""):
    township = await township_for(request, who)
    today = china_today()
    fields: dict[str, str] = {}
    start = _day(start, today.replace(day=1), "from", fields)
    end = _day(end, today, "to", fields)
    q = enterprise.strip()
    params = {"from": start, "to": end}
    if USCC_LIKE.match(q.upper()):
        params["enterprise_id"] = q.upper()
    visits = await upstream(request).get("visits", f"/api/v1/townships/{township}/visits", who.token, **params)
    problem = Problem("日期格式不正确，已按本月显示。", fields) if fields else None
    return await page(request, "visits/ledger.html", who, township=township, rows=ledger_rows(visits, q, kind),
                      f={"from": start, "to": end, "enterprise": q, "kind": kind}, problem=problem,
                      tamp=_tq(who, township, "&"), tq=_tq(who, township))


def _day(text: str, default: date, name: str, fields: dict[str, str]) -> str:
    if not text:
        return default.isoformat()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        fields[name] = "日期格式不正确"
        return default.isoformat()


@router.get("/visits/{visit_id}")
async def visit_detail(request: Request, who: Who, visit_id: str, done: str = ""):
    township = await township_for(request, who)
    up = upstream(request)
    visit = await up.get("visits", f"/api/v1/townships/{township}/visits/{visit_id}", who.token)
    try:
        issues = await up.get("issues", f"/api/v1/townships/{township}/issues", who.token,
                              enterprise_id=visit["enterprise_id"])
        raised = [i for i in issues if i.get("visit_id") == visit_id]
    except ServiceError:
        raised = None  # the visit still shows; its issues say they could not be fetched
    pending = [d for d in visit.get("demands", []) if not d.get("resolved_on_spot")]
    evidence = await evidence_of(request, who, township, "visit", visit_id)
    return await page(request, "visits/detail.html", who, township=township, visit=visit, raised=raised, evidence=evidence,
                      pending=pending, notice="走访已登记" if done == "logged" else None,
                      tq=_tq(who, township), tamp=_tq(who, township, "&"))
