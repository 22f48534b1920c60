"""Sign in with one's personal token; the console keeps it and gives the browser an opaque session cookie."""
from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timezone

from fastapi import APIRouter, Request

from console.web import COOKIE, Refused, Who, back, check_origin, form_of, page

router = APIRouter()
PRE = "console_signin"  # a double-submit value for the sign-in form, which has no session yet


@router.get("/signin")
async def signin_form(request: Request, next: str = "/"):
    value = secrets.token_urlsafe(16)
    response = await page(request, "signin.html", None, pre=value, next=_safe(next))
    response.set_cookie(PRE, value, httponly=True, samesite="strict", secure=request.app.state.settings.cookie_secure,
                        path="/signin")
    return response


@router.post("/signin")
async def signin(request: Request):
    check_origin(request)
    form = await request.form()
    sent, kept = str(form.get("pre", "")), request.cookies.get(PRE, "")
    if not kept or not hmac.compare_digest(sent, kept):
        raise Refused("登录页面已过期，请刷新后重新登录。")
    token = str(form.get("token", "")).strip()
    principal = request.app.state.tokens.principal(token) if token else None
    if principal is None:
        response = await page(request, "signin.html", None, status=401, pre=kept, next=_safe(str(form.get("next", "/"))),
                              problem={"message": "令牌无效：请核对后重新输入（区分大小写）。", "fields": {"token": "令牌无效"}})
        return response
    session = await request.app.state.sessions.create(token, principal, datetime.now(timezone.utc))
    response = back(_safe(str(form.get("next", "/"))))
    settings = request.app.state.settings
    response.set_cookie(COOKIE, session.sid, httponly=True, samesite="lax", secure=settings.cookie_secure,
                        max_age=settings.session_idle_minutes * 60 * 16)  # the server ends it when idle
    response.delete_cookie(PRE, path="/signin")
    return response


@router.post("/signout")
async def signout(request: Request, who: Who):
    await form_of(request, who)
    await request.app.state.sessions.end(who.sid)
    response = back("/signin")
    response.delete_cookie(COOKIE)
    return response


@router.post("/township")
async def choose_township(request: Request, who: Who):
    """A county-wide person picks the township the township screens show."""
    form = await form_of(request, who)
    chosen = str(form.get("township", ""))
    if who.home is None and chosen:
        await request.app.state.sessions.set_township(who, chosen)
    return back(_safe(str(form.get("next", "/"))))


def _safe(target: str) -> str:
    """Only a path on this console: never an open redirect."""
    return target if target.startswith("/") and not target.startswith("//") else "/"
