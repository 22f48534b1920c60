"""统计报表 and 设置 against fake services: what each route asks of them and shows back, without a stack."""
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
REGISTRY = [{"township": "dacheng", "name": "大程镇", "county": "示范县"}, {"township": "xiyang", "name": "西阳镇", "county": "示范县"}]


def _dacheng_q1() -> dict:
    """A shape-3 report as reporting renders it: one visit with two demands, one resolved on the spot, in 2026-Q1."""
    from reporting.report import Period, compute
    visit = {"township": "dacheng", "visit_id": "v1", "enterprise_id": "e1", "visited_on": "2026-02-03", "channel": "in_person",
             "kind": "visit_day", "visitors": [{"official_id": "o1", "name": "王", "rank": "county"}],
             "services": ["policy", "warmth"], "demands": 2, "demands_on_spot": 1, "event_id": "x"}
    enterprise = {"township": "dacheng", "enterprise_id": "e1", "registered_on": "2025-10-01", "assigned_officials": [],
                  "event_id": "y"}
    return compute({"visits": [visit], "enterprises": [enterprise]}, "dacheng", Period.parse("2026-Q1"))


DACHENG_Q1 = _dacheng_q1()


class Services:
    def __init__(self):
        self.sent: list[tuple[str, str, object]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        body = json.loads(request.content) if request.content else None
        self.sent.append((method, path, body))
        if path == "/api/v1/townships" and method == "GET":
            return httpx.Response(200, json=REGISTRY)
        if path.startswith("/api/v1/townships/") and method == "PUT" and path.count("/") == 4:
            return httpx.Response(200, json={"township": path.rsplit("/", 1)[1], **body})
        if path.endswith("/settings") and request.url.host == "v":
            return httpx.Response(200, json={"quiet_period_days": 14})
        if path.endswith("/settings"):
            return httpx.Response(200, json={"sla_working_days": {"labour": 10}, "blue_within_working_days": 2, "red_after_working_days": 5})
        if path == "/api/v1/calendar":
            return httpx.Response(200, json={"years": [2025, 2026]})
        if path.startswith("/api/v1/calendar/"):
            return httpx.Response(200, json={"year": 2027, "recounted": 3})
        if path == "/api/v1/reports/dacheng/2026-Q1":
            return httpx.Response(200, json=DACHENG_Q1)
        if path == "/api/v1/reports/xiyang/2026-Q1":
            return httpx.Response(404, json={"detail": "no events of township xiyang yet"})
        if path == "/api/v1/bulletins/county/2026-Q1" and method == "POST":
            return httpx.Response(409, json={"detail": "the county bulletin for 2026-Q1 is already published"})
        if path == "/api/v1/bulletins/county":
            return httpx.Response(200, json=[])
        if path in ("/api/v1/ledger/dacheng/2026-Q1/issues", "/api/v1/ledger/dacheng/2026-Q1/visits"):
            head = "乡镇,问题编号" if path.endswith("issues") else "乡镇,走访编号"
            return httpx.Response(200, content=f"\ufeff{head}\n".encode(), headers={
                "content-type": "text/csv; charset=utf-8", "content-disposition": "attachment; filename*=UTF-8''x.csv"})
        if path == "/api/v1/bulletins/dacheng/2026-Q1/document" and request.url.params.get("format") == "pdf":
            return httpx.Response(200, content=b"%PDF-1.4", headers={"content-type": "application/pdf"})
        return httpx.Response(404, json={"detail": "no such route"})


@pytest.fixture
def services():
    return Services()


@pytest.fixture
def admin(services):
    app = create_app(MemorySessions(timedelta(minutes=30)),
                     Upstream({"visits": "http://v", "issues": "http://i", "reporting": "http://r"}, 5,
                              transport=httpx.MockTransport(services)))
    with TestClient(app, base_url=BASE, follow_redirects=False) as c:
        pre = re.search(r'name="pre" value="([^"]+)"', c.get("/signin").text)[1]
        c.post("/signin", data={"pre": pre, "token": "dev-county-admin", "next": "/"}, headers={"Origin": BASE})
        c.csrf = re.search(r'name="csrf-token" content="([^"]+)"', c.get("/settings").text)[1]
        yield c


def post(c, path, **data):
    return c.post(path, data={"csrf": c.csrf, "idem": "k", **data}, headers={"Origin": BASE})


def test_a_holiday_schedule_is_sent_as_the_json_typed_and_its_recount_said(admin, services):
    schedule = {"year": 2027, "source": "国办发明电〔2026〕1号", "holidays": ["2027-01-01"], "workdays": []}
    r = post(admin, "/settings/calendar", year="2027", schedule=json.dumps(schedule, ensure_ascii=False))
    assert r.status_code == 303 and "done=calendar" in r.headers["location"]
    assert ("PUT", "/api/v1/calendar/2027", schedule) in services.sent
    assert "2027年节假日安排已载入，重新计算了3个暂定的办理时限" in admin.get(r.headers["location"]).text


def test_the_registry_form_puts_the_name_and_county(admin, services):
    r = post(admin, "/settings/townships", township_id="gaoqiao", name="高桥镇", county="示范县")
    assert r.status_code == 303
    assert ("PUT", "/api/v1/townships/gaoqiao", {"name": "高桥镇", "county": "示范县"}) in services.sent
    bad = post(admin, "/settings/townships", township_id="Gao Qiao", name="", county="示范县")
    assert bad.status_code == 422 and "只能用小写字母" in bad.text and 'value="Gao Qiao"' in bad.text


def test_a_township_without_events_and_a_published_period_say_so(admin):
    assert "该乡镇本期还没有数据" in admin.get("/reports?scope=xiyang&period=2026-Q1").text
    r = post(admin, "/reports/bulletins", scope="county", period="2026-Q1")
    assert r.status_code == 409 and "该期通报已经发布" in r.text


def test_a_download_passes_the_type_and_file_name_through(admin):
    r = admin.get("/reports/ledger?scope=dacheng&period=2026-Q1&format=csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == "attachment; filename*=UTF-8''x.csv"
    assert r.content.decode("utf-8-sig").startswith("乡镇,问题编号")
    assert admin.get("/reports/ledger?scope=dacheng&period=2026-Q9&format=csv").status_code == 422
    visits = admin.get("/reports/ledger?scope=dacheng&period=2026-Q1&kind=visits&format=csv")
    assert visits.status_code == 200 and visits.content.decode("utf-8-sig").startswith("乡镇,走访编号")
    assert "台账只有问题台账和走访台账两种" in admin.get("/reports/ledger?scope=dacheng&period=2026-Q1&kind=x").text


def test_a_bulletin_document_downloads_as_word_or_pdf_and_nothing_else(admin):
    r = admin.get("/reports/bulletins/dacheng/2026-Q1/document?format=pdf")
    assert r.status_code == 200 and r.content == b"%PDF-1.4" and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith("attachment; filename*=UTF-8''")
    refused = admin.get("/reports/bulletins/dacheng/2026-Q1/document?format=exe")
    assert refused.status_code == 422 and "只能下载 Word（docx）或 PDF 文件" in refused.text


def test_a_report_shows_the_visits_figures_and_its_comparison_with_the_period_before_and_last_year(admin):
    page = admin.get("/reports?scope=dacheng&period=2026-Q1").text
    assert "收集诉求" in page and "现场解决 1 项（50%）" in page
    assert "送政策 1 · 送温暖 1 · 送活力 0 · 送信心 0 次" in page
    compared = page[page.index('id="compared"'):]
    assert "上期（2025-Q4）" in compared and "去年同期（2025-Q1）" in compared
    row = compared[compared.index('data-compared="enterprises_registered"'):].split("</tr>")[0]
    assert [c for c in re.findall(r"<td>([^<]*)</td>", row)] == ["1", "1", "0"]  # listed since 2025-10-01
