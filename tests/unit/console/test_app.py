"""The console's own rules without a server: sign-in, the session cookie, CSRF and Origin, refusals as pages."""
from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from console.app import create_app
from console.sessions import MemorySessions
from console.upstream import Upstream

BASE = "http://console.test"


def fake_services(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if request.headers.get("authorization") != "Bearer dev-dacheng-clerk":
        return httpx.Response(403, json={"detail": "this token may not do that here"})
    if path == "/api/v1/townships":
        return httpx.Response(200, json=[{"township": "dacheng", "name": "大程镇", "county": "示范县"}])
    if path.endswith("/enterprises"):
        return httpx.Response(200, json=[{"enterprise_id": "91610422737BG88M56", "name": "陕西清河纺织有限公司",
                                          "category": "industry", "last_visited_on": None}])
    if path.endswith("/issues"):
        return httpx.Response(500, text="Traceback (most recent call last): boom")
    return httpx.Response(404, json={"detail": "no such route"})


@pytest.fixture
def client():
    app = create_app(MemorySessions(timedelta(minutes=30)),
                     Upstream({"visits": "http://v", "issues": "http://i", "reporting": "http://r"}, 5,
                              transport=httpx.MockTransport(fake_services)))
    with TestClient(app, base_url=BASE, follow_redirects=False) as c:
        yield c


def sign_in(client, token="dev-dacheng-clerk"):
    form = client.get("/signin")
    pre = re.search(r'name="pre" value="([^"]+)"', form.text)[1]
    return client.post("/signin", data={"pre": pre, "token": token, "next": "/"}, headers={"Origin": BASE})


def test_pages_need_a_session(client):
    r = client.get("/")
    assert r.status_code == 303 and r.headers["location"] == "/signin?next=/"


def test_signing_in_sets_an_opaque_httponly_lax_cookie(client):
    r = sign_in(client)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "console_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "dev-dacheng-clerk" not in cookie


def test_a_bad_token_is_refused_in_chinese(client):
    r = sign_in(client, "nope")
    assert r.status_code == 401 and "令牌无效" in r.text and "console_session" not in r.headers.get("set-cookie", "")


def test_sign_in_without_its_form_value_or_from_elsewhere_is_refused(client):
    client.get("/signin")
    assert client.post("/signin", data={"pre": "x", "token": "dev-dacheng-clerk"}, headers={"Origin": BASE}).status_code == 403
    form = client.get("/signin")
    pre = re.search(r'name="pre" value="([^"]+)"', form.text)[1]
    r = client.post("/signin", data={"pre": pre, "token": "dev-dacheng-clerk"}, headers={"Origin": "http://evil.test"})
    assert r.status_code == 403 and "来源不可信" in r.text


def test_writes_need_the_csrf_token_and_the_consoles_origin(client):
    sign_in(client)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text)  # every page of a session has it
    assert csrf
    no_token = client.post("/township", data={"township": "dacheng"}, headers={"Origin": BASE})
    assert no_token.status_code == 403 and "安全校验码" in no_token.text
    elsewhere = client.post("/township", data={"township": "dacheng", "csrf": csrf[1]}, headers={"Origin": "http://evil.test"})
    assert elsewhere.status_code == 403
    ok = client.post("/township", data={"township": "dacheng", "csrf": csrf[1], "next": "/"}, headers={"Origin": BASE})
    assert ok.status_code == 303


def test_a_service_failure_is_a_chinese_message_not_a_trace(client):
    sign_in(client)
    r = client.get("/")  # the workbench asks issues, which answers 500
    assert r.status_code == 502 and "服务出错" in r.text and "Traceback" not in r.text


def test_every_answer_carries_the_strict_csp(client):
    r = client.get("/signin")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY" and "<script>" not in r.text
