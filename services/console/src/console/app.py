"""The console app: pages, static files, sessions in the store, refusals as Chinese pages."""
from __future__ import annotations

import importlib
import logging
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Optional

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pymongo import AsyncMongoClient

from buildingblocks import metrics
from buildingblocks.auth import DEV_TOKENS, TokenStore
from console import security, settings as console_settings
from console.messages import explain
from console.sessions import MongoSessions, SessionStore
from console.upstream import ServiceError, Upstream
from console.web import HERE, Refused, SignInRequired, page

log = logging.getLogger("console")
PAGES = ["signin", "workbench", "enterprises", "visits", "plans", "issues", "supervision", "reports", "evaluations", "settings", "units",
         "mine", "notices", "my_enterprises", "evidence"]


def create_app(sessions: Optional[SessionStore] = None, upstream: Optional[Upstream] = None) -> FastAPI:
    cfg = console_settings.load()
    client = AsyncMongoClient(cfg.mongodb_uri, tz_aware=True, serverSelectionTimeoutMS=5000) if sessions is None else None

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if client is not None:
            await app.state.sessions.ensure_indexes()
        yield
        await app.state.upstream.close()
        if client is not None:
            await client.close()

    app = FastAPI(title="遍访企业 控制台", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = cfg
    app.state.tokens = TokenStore.from_file(cfg.auth_tokens_file or DEV_TOKENS)
    app.state.sessions = sessions or MongoSessions(client[cfg.mongodb_db], timedelta(minutes=cfg.session_idle_minutes))
    app.state.upstream = upstream or Upstream(
        {"visits": cfg.visits_url, "issues": cfg.issues_url, "reporting": cfg.reporting_url,
         "notifier": cfg.notifier_url}, cfg.upstream_timeout_s)
    app.state.township_cache = {}
    security.install(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    metrics.install(app, metrics.Metrics("console"))  # HTTP by route and status; no token, like /health

    @app.exception_handler(SignInRequired)
    async def to_signin(request: Request, _exc):
        target = "/signin?next=" + request.url.path if request.method == "GET" else "/signin"
        if request.headers.get("hx-request"):
            return JSONResponse({}, status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused):
        return await page(request, "error.html", getattr(request.state, "session", None), status=exc.status,
                          problem={"message": exc.message})

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError):
        problem = explain(exc)
        status = exc.status if exc.status < 500 else 502
        return await page(request, "error.html", getattr(request.state, "session", None), status=status,
                          problem={"message": problem.message})

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception):
        log.exception("console page %s failed", request.url.path)
        return await page(request, "error.html", None, status=500,
                          problem={"message": "页面出错了，已记录；请稍后重试或联系管理员。"})

    @app.get("/health", include_in_schema=False)
    async def health():
        checks = {"store": "ok"}
        if client is not None:
            try:
                await client.admin.command("ping")
            except Exception as exc:  # a health check reports; it never raises
                checks["store"] = f"{type(exc).__name__}"
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ok else "degraded", "service": "console", "checks": checks},
                            status_code=200 if ok else 503)

    for name in PAGES:
        app.include_router(importlib.import_module(f"console.pages.{name}").router)
    return app
