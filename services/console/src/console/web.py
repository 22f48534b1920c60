"""What every page uses: the signed-in person, the CSRF and Origin checks, the templates and their context."""
from __future__ import annotations

import hmac
import time
import uuid
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Optional
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from buildingblocks import clock as clocks
from buildingblocks.auth import Role
from console import words
from console.messages import Problem, explain
from console.sessions import Session
from console.upstream import ServiceError, Upstream

COOKIE = "console_session"
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals.update(words=words)
templates.env.filters["zh"] = lambda value, table: getattr(words, table).get(value, value) if value is not None else ""


def china_today() -> date:
    """Today in China, by the process's clock (CLOCK_TODAY moves it with the services')."""
    return clocks.clock.today()


class SignInRequired(Exception):
    pass


class Refused(Exception):
    """A write this console refuses itself (CSRF, Origin, role): shown as a page, never a stack trace."""

    def __init__(self, message: str, status: int = 403):
        super().__init__(message)
        self.message, self.status = message, status


HANDLER_PATHS = ("/mine", "/signout")  # a unit's handler works its own queue and nothing else


def is_handler(session: Session) -> bool:
    """A unit's token (承办人): it sees only its unit's issues (我的工单)."""
    return getattr(session.principal, "unit_id", None) is not None and session.principal.role.name == "handler"


async def signed_in(request: Request) -> Session:
    sid = request.cookies.get(COOKIE)
    session = await request.app.state.sessions.get(sid, datetime.now(timezone.utc)) if sid else None
    if session is None:
        raise SignInRequired()
    request.state.session = session
    path = request.url.path
    if is_handler(session) and path != "/" and not any(path == p or path.startswith(p + "/") for p in HANDLER_PATHS):
        raise Refused("您的账号是责任单位的承办账号，只能查看和办理本单位的工单（我的工单）。")
    return session


Who = Annotated[Session, Depends(signed_in)]


def expected_origin(request: Request) -> str:
    configured = request.app.state.settings.public_origin
    return configured.rstrip("/") if configured else f"{request.url.scheme}://{request.headers.get('host', '')}"


def check_origin(request: Request) -> None:
    """Writes must come from the console's own pages: Origin (or, lacking it, Referer) names this host."""
    origin = request.headers.get("origin")
    if not origin and (referer := request.headers.get("referer")):
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin != expected_origin(request):
        raise Refused("请求来源不可信，已拒绝（请从控制台页面提交）。")


async def form_of(request: Request, session: Session) -> dict[str, Any]:
    """The posted form after the Origin and CSRF checks; lists for repeated names."""
    check_origin(request)
    form = await request.form()
    sent = request.headers.get("x-csrf-token") or form.get("csrf") or ""
    if not hmac.compare_digest(str(sent), session.csrf):
        raise Refused("表单已过期或来源不可信（缺少安全校验码），请刷新页面后重试。")
    values: dict[str, Any] = {}
    for k in form.keys():
        items = form.getlist(k)
        values[k] = items if len(items) > 1 or k.endswith("[]") else items[0]
    return values


def may_write(session: Session, township: Optional[str], role: Role = Role.clerk) -> bool:
    return session.principal.may(township, role)


def require(session: Session, township: Optional[str], role: Role = Role.clerk) -> None:
    if not may_write(session, township, role):
        raise Refused("您的账号没有此项操作的权限。")


def upstream(request: Request) -> Upstream:
    return request.app.state.upstream


async def townships(request: Request, session: Session) -> list[dict]:
    """The township registry (id → 名称), kept a minute: it changes rarely."""
    cache = request.app.state.township_cache
    if cache.get("at", 0) > time.monotonic() - 60 and cache.get("list"):
        return cache["list"]
    try:
        found = await upstream(request).get("visits", "/api/v1/townships", session.token)
    except ServiceError:
        found = []
    cache.update(at=time.monotonic(), list=found)
    return found


async def enterprise_names(request: Request, who: Session, township: str) -> dict[str, str]:
    """A township's enterprises, id → name (for lists that carry only the credit code)."""
    try:
        found = await upstream(request).get("visits", f"/api/v1/townships/{township}/enterprises", who.token)
    except ServiceError:
        return {}  # the ledger still shows, with credit codes for names
    return {e["enterprise_id"]: e["name"] for e in found}


async def township_name(request: Request, session: Session, township: Optional[str]) -> str:
    if township is None:
        return "全县"
    for t in await townships(request, session):
        if t["township"] == township:
            return t["name"]
    return township


def current_township(session: Session, known: list[dict]) -> Optional[str]:
    """A township person's own; a county person's chosen one (or the first in the registry)."""
    if session.home:
        return session.home
    ids = [t["township"] for t in known]
    if session.township in ids:
        return session.township
    return ids[0] if ids else None


async def page(request: Request, template: str, session: Optional[Session], status: int = 200, **context) -> HTMLResponse:
    base: dict[str, Any] = {"request": request, "session": session, "problem": None, "notice": None,
                            "today": china_today().isoformat(), "idem": str(uuid.uuid4())}
    if session is not None:
        known = await townships(request, session)
        here = context.pop("township", None) or current_township(session, known)
        base.update(
            who=session.principal, csrf=session.csrf, townships=known, township=here,
            township_name=await township_name(request, session, here),
            home_name=await township_name(request, session, session.home),
            role_name=_role_name(session), can_write=may_write(session, here),
            is_county=session.home is None, is_admin=session.principal.role >= Role.admin,
            is_handler=is_handler(session), is_supervisor=session.principal.role >= _SUPERVISOR,
        )
    base.update(context)
    return templates.TemplateResponse(request, template, base, status_code=status)


_SUPERVISOR = getattr(Role, "supervisor", Role.admin)  # 督查: approves extensions, reads the notices


def _role_name(session: Session) -> str:
    p = session.principal
    if getattr(p, "official_id", None):
        return "包抓领导"
    if is_handler(session):
        return "责任单位承办"
    return ("县级" if p.scope == "county" else "乡镇") + words.ROLES.get(p.role.name, p.role.name)


def problem_of(err: ServiceError) -> Problem:
    return explain(err)


def back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def listed(form: dict[str, Any], key: str) -> list[str]:
    """A repeated form field (checkboxes, several selects) as a list, without blanks."""
    value = form.get(key, [])
    values = value if isinstance(value, list) else [value]
    return [v for v in values if v not in (None, "")]


async def township_for(request: Request, session: Session) -> Optional[str]:
    """The township a township screen shows: the person's own, or for the county `?township=` or their choice."""
    if session.home:
        return session.home
    known = await townships(request, session)
    asked = request.query_params.get("township")
    if asked and asked in {t["township"] for t in known}:
        return asked
    return current_township(session, known)
