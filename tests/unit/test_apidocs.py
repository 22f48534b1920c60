"""The API pages without a CDN and with a working Authorize button: the bearer scheme on every /api/ operation, the
pages loading only the service's own files, and those files the ones `make install` and the image put in place."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from buildingblocks import docs

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("visits", "issues", "reporting", "notifier")


def app(service: str):
    import importlib

    return importlib.import_module(f"{service}.app").create_app()  # made, not started: no server needed


async def get(application, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://service") as c:
        return await c.get(path)


@pytest.mark.parametrize("service", SERVICES)
def test_every_api_operation_declares_the_bearer_scheme_and_the_open_ones_do_not(service):
    doc = app(service).openapi()
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": docs.BEARER.model.description}
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            expected = [{"bearer": []}] if path.startswith("/api/") else None
            assert operation.get("security") == expected, (method, path)


@pytest.mark.parametrize("service", SERVICES)
async def test_swagger_ui_and_redoc_load_only_the_services_own_files(service):
    application = app(service)
    for page in ("/docs", "/redoc"):
        html = (await get(application, page)).text
        assert not re.search(r"https?://", html), page  # no CDN, no Google fonts, no validator badge
        for url in re.findall(r'(?:src|href|url)\s*[:=]\s*["\'](/[^"\']*)["\']', html):
            assert url == "/openapi.json" or url == "/docs/oauth2-redirect" or url.startswith(docs.PREFIX + "/"), url
    swagger = (await get(application, "/docs")).text
    assert f"{docs.PREFIX}/swagger-ui-bundle.js" in swagger and '"validatorUrl": null' in swagger
    assert f"{docs.PREFIX}/redoc.standalone.js" in (await get(application, "/redoc")).text


async def test_an_asset_is_served_from_the_installed_files_or_named_as_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(docs, "ASSETS", tmp_path)
    application = app("visits")
    missing = await get(application, f"{docs.PREFIX}/redoc.standalone.js")
    assert missing.status_code == 404 and "make install" in missing.text
    (tmp_path / "redoc.standalone.js").write_text("/* redoc */")
    served = await get(application, f"{docs.PREFIX}/redoc.standalone.js")
    assert served.status_code == 200 and served.text == "/* redoc */"
    assert "javascript" in served.headers["content-type"]


def test_make_install_and_the_image_copy_exactly_the_files_the_pages_load():
    stack = (ROOT / "infra" / "stack.sh").read_text()
    listed = re.search(r'^DOCS_FILES="([^"]+)"', stack, re.M)[1].split()
    assert listed == list(docs.FILES.values())
    dockerfile = (ROOT / "Dockerfile").read_text()
    for source in docs.FILES.values():
        assert f"node_modules/{source}" in dockerfile, source
    assert f"{docs.ASSETS.relative_to(ROOT)}/" in (ROOT / ".gitignore").read_text()  # never committed


def test_the_console_has_metrics_too():
    from fastapi.testclient import TestClient

    from console.app import create_app
    from console.sessions import MemorySessions
    from console.upstream import Upstream

    console = create_app(MemorySessions(timedelta(minutes=30)), Upstream({"visits": "http://v"}, 5))
    with TestClient(console, base_url="http://127.0.0.1:8000") as client:
        client.get("/signin")
        text = client.get("/metrics").text
    assert 'http_requests_total{method="GET",route="/signin",status="200"} 1.0' in text
