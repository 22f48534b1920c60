"""责任单位, 通知记录 and 延期审批 against fake services: what the routes send and show, a notifier that is down said in
Chinese, and a unit form refused here keeping what was typed."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from console.app import create_app
from console.sessions import MemorySessions
from console.upstream import Upstream

BASE = "http://console.test"
REGISTRY = [{"township": "dacheng", "name": "大程镇", "county": "示范县"}]
UNITS = [{"unit_id": "dacheng-rss", "name": "大程镇人社所", "kind": "township_office", "parent_id": None, "head": "王所长",
          "contact": "029-1", "active": True, "township": "dacheng"}]
NOTICE = {"notice_id": "n1", "kind": "supervision", "township": "dacheng", "issue_id": "i-1", "number": "督〔2026〕7号",
          "recipient": "c-rsj", "recipient_name": "县人社局", "channel": "webhook", "address": "http://hook", "status": "failed",
          "attempts": 3, "last_error": "ConnectError", "created_at": "2026-03-20T09:00:00+08:00", "sent_at": None}


MINE = {"issue_id": "i-9", "township": "dacheng", "enterprise_id": "E1", "category": "labour", "description": "缺工10人",
        "source": "hotline", "status": "open", "level": "none", "routing": "routed", "unit_id": "dacheng-rss",
        "responsible_unit": "大程镇人社所", "unit_registered": True, "raised_on": "2026-03-02", "deadline": "2026-03-16",
        "co_units": [], "extension_requests": [], "history": [{"action": "raised", "at": "2026-03-02T09:00:00+08:00",
                                                               "by": "x", "deadline": "2026-03-16"}]}

WORKED = {**MINE, "issue_id": "i-8", "routing": "returned", "co_units": [{"unit_id": "c-zrzyj", "name": "县自然资源局", "part_done": False}],
          "extension_requests": [{"request_id": "r5", "requested_deadline": "2026-04-30", "reason": "等批复", "requested_on": "2026-03-10",
                                  "status": "pending", "decided_on": None, "decision_reason": None}],
          "history": MINE["history"] + [{"action": "returned", "at": "2026-03-03T09:00:00+08:00", "by": "大程镇人社所",
                                         "unit_id": "dacheng-rss", "reason": "属县局职责", "suggested_unit_id": "c-rsj"}]}


class Services:
    def __init__(self, notifier_up: bool = True):
        self.sent: list[tuple[str, str, object]] = []
        self.notifier_up = notifier_up

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method, host = request.url.path, request.method, request.url.host
        body = json.loads(request.content) if request.content else None
        self.sent.append((method, path, body))
        if host == "n":
            if not self.notifier_up:
                raise httpx.ConnectError("connection refused", request=request)
            if path == "/api/v1/notices":
                return httpx.Response(200, json=[NOTICE])
            if path == "/api/v1/supervision-notices/2026-7/document":
                return httpx.Response(200, content=b"PK-docx", headers={
                    "content-type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    "content-disposition": "attachment; filename*=UTF-8''%E7%9D%A3.docx"})
            return httpx.Response(404, json={"detail": "no such notice"})
        if path == "/api/v1/units/dacheng-rss/issues":
            return httpx.Response(200, json=[MINE])
        if path == "/api/v1/townships/dacheng/issues/i-9":
            return httpx.Response(200, json=MINE)
        if path == "/api/v1/townships/dacheng/issues/i-8":
            return httpx.Response(200, json=WORKED)
        if path == "/api/v1/townships/dacheng/units" and request.url.params.get("routable"):
            return httpx.Response(200, json=UNITS + [{"unit_id": "c-rsj", "name": "县人社局", "kind": "county_department",
                                                      "township": "county", "active": True}])
        if path == "/api/v1/townships/dacheng/issues/i-other":
            return httpx.Response(403, json={"detail": "this token may not do that here"})
        if path == "/api/v1/townships/dacheng/issues/i-9/acknowledge":
            return httpx.Response(409, json={"detail": "issue i-9 is acknowledged; only a routed issue is acknowledged"})
        if path == "/api/v1/townships":
            return httpx.Response(200, json=REGISTRY)
        if path == "/api/v1/townships/dacheng/units" and method == "GET":
            return httpx.Response(200, json=UNITS)
        if path.startswith("/api/v1/townships/dacheng/units/") and method == "PUT":
            if body.get("parent_id") == "nowhere":
                return httpx.Response(422, json={"detail": [{"loc": ["body", "parent_id"], "msg": "Value error, no such unit"}]})
            return httpx.Response(200, json={"unit_id": path.rsplit("/", 1)[1], **body})
        if path == "/api/v1/townships/dacheng/routing":
            return httpx.Response(200, json=body if method == "PUT" else {"labour": "dacheng-rss"})
        if path == "/api/v1/townships/dacheng/issues":
            return httpx.Response(200, json=[{"issue_id": "i-1", "enterprise_id": "E1", "description": "缺工", "deadline": "2026-03-16",
                                              "responsible_unit": "县人社局", "extension_requests": [
                                                  {"request_id": "r1", "status": "pending", "requested_deadline": "2026-04-30",
                                                   "requested_on": "2026-03-10", "reason": "等批复"}]}])
        if path == "/api/v1/townships/dacheng/enterprises":
            return httpx.Response(200, json=[{"enterprise_id": "E1", "name": "某机械公司"}])
        if path.endswith("/decision"):
            return httpx.Response(200, json={})
        return httpx.Response(404, json={"detail": "no such route"})


def client(services: Services, token: str):
    app = create_app(MemorySessions(timedelta(minutes=30)),
                     Upstream({"visits": "http://v", "issues": "http://i", "reporting": "http://r", "notifier": "http://n"}, 5,
                              transport=httpx.MockTransport(services)))
    c = TestClient(app, base_url=BASE, follow_redirects=False)
    c.__enter__()
    pre = re.search(r'name="pre" value="([^"]+)"', c.get("/signin").text)[1]
    c.post("/signin", data={"pre": pre, "token": token, "next": "/"}, headers={"Origin": BASE})
    c.csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/notices").text)[1]
    return c


def post(c, path, **data):
    return c.post(path, data={"csrf": c.csrf, "idem": "k", **data}, headers={"Origin": BASE})


@pytest.fixture
def services():
    return Services()


def test_the_notices_list_and_the_supervision_document_come_through_the_console(services):
    c = client(services, "dev-county-admin")
    text = c.get("/notices?status=failed").text
    assert "督办单" in text and "县人社局" in text and "发送失败" in text and "ConnectError" in text
    assert "/notices/supervision/2026-7/document" in text
    assert ("GET", "/api/v1/notices", None) in services.sent
    doc = c.get("/notices/supervision/2026-7/document")
    assert doc.status_code == 200 and doc.content == b"PK-docx" and doc.headers["content-disposition"].endswith(".docx")
    assert "没有找到这份督办单" in c.get("/notices/supervision/2026-9/document").text


def test_a_notifier_that_is_down_is_said_in_chinese():
    c = client(Services(notifier_up=False), "dev-county-admin")
    r = c.get("/notices")
    assert r.status_code == 200 and "通知服务暂时不可用" in r.text


def test_notices_and_extensions_are_not_a_clerks(services):
    c = client(services, "dev-dacheng-clerk")
    assert c.get("/notices").status_code == 403 and "仅限督查人员和管理员" in c.get("/supervision/extensions").text


def test_pending_extensions_are_listed_and_decided_with_a_reason(services):
    c = client(services, "dev-county-admin")
    text = c.get("/supervision/extensions").text
    assert "某机械公司" in text and "2026-04-30" in text and 'data-request="r1"' in text
    r = post(c, "/issues/i-1/extension-requests/r1/decision", township="dacheng", approved="no", reason="理由不充分", next="list")
    assert r.status_code == 303 and r.headers["location"] == "/supervision/extensions?done=refused"
    assert ("POST", "/api/v1/townships/dacheng/issues/i-1/extension-requests/r1/decision",
            {"approved": False, "reason": "理由不充分"}) in services.sent


def test_a_unit_is_saved_and_a_refusal_names_the_field_keeping_what_was_typed(services):
    c = client(services, "dev-county-admin")
    text = c.get("/settings/units?where=dacheng").text
    assert "大程镇人社所" in text and "王所长" in text and "分派规则" in text
    r = post(c, "/settings/units", where="dacheng", unit_id="dacheng-sfs", name="大程镇司法所", kind="township_office",
             head="李所长", contact="", parent_id="", active="1")
    assert r.status_code == 303
    assert ("PUT", "/api/v1/townships/dacheng/units/dacheng-sfs",
            {"name": "大程镇司法所", "kind": "township_office", "active": True, "head": "李所长"}) in services.sent
    bad = post(c, "/settings/units", where="dacheng", unit_id="Da Cheng", name="大程镇司法所", kind="", active="1")
    assert bad.status_code == 422 and "单位编号" in bad.text and 'value="大程镇司法所"' in bad.text and "请选择类型" in bad.text
    refused = post(c, "/settings/units", where="dacheng", unit_id="dacheng-sfs", name="大程镇司法所", kind="township_office",
                   parent_id="nowhere", active="1")
    assert refused.status_code == 422 and "上级单位" in refused.text
    r = post(c, "/settings/routing", where="dacheng", **{"route.labour": "dacheng-rss", "route.land": ""})
    assert r.status_code == 303
    sent = [b for m, p, b in services.sent if p == "/api/v1/townships/dacheng/routing" and m == "PUT"][0]
    assert sent["labour"] == "dacheng-rss" and sent["land"] is None


def test_a_handler_sees_its_queue_and_its_issue_only_and_a_refusal_in_chinese(services):
    c = client(services, "dev-dacheng-unit-rss")
    assert c.get("/").headers["location"] == "/mine"
    queue = c.get("/mine").text
    assert 'data-issue="i-9"' in queue and "待签收" in queue and "/mine/dacheng/i-9" in queue
    assert 'href="/issues"' not in queue and 'href="/enterprises"' not in queue  # the nav shows only 我的工单
    page = c.get("/mine/dacheng/i-9").text
    assert 'id="act-acknowledge"' in page and 'id="act-return"' in page and 'id="act-close"' not in page
    other, missing = c.get("/mine/dacheng/i-other"), c.get("/mine/dacheng/i-none")
    assert other.status_code == missing.status_code == 404 and "无权查看" in other.text and "无权查看" in missing.text
    assert c.get("/issues").status_code == 403 and c.get("/enterprises").status_code == 403
    r = post(c, "/mine/dacheng/i-9/acknowledge", acknowledged_on="2026-03-03")
    assert r.status_code == 409 and "已经签收过了" in r.text


def test_the_clerk_re_routes_a_returned_issue_and_the_supervisor_decides_on_its_page(services):
    clerk = client(services, "dev-dacheng-clerk")
    page = clerk.get("/issues/i-8").text
    assert "已退回" in page and "退回原因：属县局职责" in page and "建议改派：县人社局" in page
    assert re.search(r'<option value="c-rsj" selected>县人社局', page)  # the suggestion preselected
    assert "县自然资源局" in page and "协办中" in page and "待审批" in page
    assert "同意延期" not in page  # a clerk does not decide
    r = post(clerk, "/issues/i-8/assign", township="dacheng", unit_id="c-rsj", reason="改派")
    assert ("POST", "/api/v1/townships/dacheng/issues/i-8/assign", {"unit_id": "c-rsj", "reason": "改派"}) in services.sent
    supervisor = client(services, "dev-county-supervisor")
    page = supervisor.get("/issues/i-8?township=dacheng").text
    assert "同意延期" in page and 'id="act-extend"' in page
