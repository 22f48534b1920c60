"""The API documentation pages, /docs (Swagger UI) and /redoc, from files served by the service itself: a county
intranet reaches no CDN. The files come from the npm registry at install time (`buildingblocks/package.json`,
`infra/stack.sh install` copies them into `static/docs/`, never committed; the image does the same).

The OpenAPI document declares the bearer scheme on every /api/ operation (`BEARER`, added by Service.http_app to
the routers it includes), so Swagger UI's Authorize button takes a token and sends it.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from fastapi.security import HTTPBearer

ASSETS = Path(__file__).with_name("static") / "docs"
PREFIX = "/docs/static"
# name served → its file in the npm packages (infra/stack.sh and the Dockerfile copy exactly these)
FILES = {
    "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
    "favicon-32x32.png": "swagger-ui-dist/favicon-32x32.png",
    "redoc.standalone.js": "redoc/bundles/redoc.standalone.js",
}
# Checked by the token gate before routing; this only documents it (and never refuses by itself).
BEARER = HTTPBearer(scheme_name="bearer", auto_error=False,
                    description="A personal token (README, Development tokens).")


def install(app: FastAPI, title: str, openapi_url: str = "/openapi.json") -> None:
    """/docs, /docs/oauth2-redirect and /redoc on the local files; the app is made with docs_url=redoc_url=None."""
    favicon = f"{PREFIX}/favicon-32x32.png"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{title} — Swagger UI", swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/swagger-ui.css", swagger_favicon_url=favicon,
            oauth2_redirect_url="/docs/oauth2-redirect",
            # validatorUrl: Swagger UI would send the document to validator.swagger.io for its badge.
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True})

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=openapi_url, title=f"{title} — ReDoc", redoc_favicon_url=favicon,
                              redoc_js_url=f"{PREFIX}/redoc.standalone.js", with_google_fonts=False)

    for name in FILES:
        app.add_api_route(f"{PREFIX}/{name}", _asset(name), methods=["GET"], include_in_schema=False)


def _asset(name: str):
    async def asset() -> Response:
        path = ASSETS / name
        if not path.is_file():
            return PlainTextResponse(f"{name} is not installed: run `make install` (infra/stack.sh install)", 404)
        return FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})

    asset.__name__ = f"docs_asset_{name.replace('.', '_').replace('-', '_')}"
    return asset
