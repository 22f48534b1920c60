"""年终考评 against fake services: the weights form's refusals named in Chinese under their fields, the publish and
its refusal, the published lists and their downloads."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from console.app import create_app
from console.pages.evaluations import default_year, weights_body
from console.sessions import MemorySessions
from console.upstream import Upstream

BASE = "http://console.test"
REGISTRY = [{"township": "dacheng", "name": "大程镇", "county": "示范县"}]
WEIGHTS = {"coverage": 0.3, "on_time": 0.25, "resolution": 0.2, "satisfaction": 0.15, "attainment": 0.1}
ROW = {"rank": 1, "score": 76.47, "grade": "良好", "coverage_rate": 0.8, "on_time_rate": 1.0, "resolution_rate": 0.5,
       "satisfaction_rate": None, "attainment_rate": 0.6}
EVALUATION = {"scope": "county", "year": "2025", "published_at": "2026-01-05T09:00:00+08:00", "published_by": "县营商办管理员",
              "weights": WEIGHTS, "hash": "ab" * 32, "scorecards": {
                  "townships": [{**ROW, "township": "dacheng"}],
                  "units": [{**ROW, "unit_id": "dacheng-rss", "name": "大程镇人社所", "closed": 4}],
                  "officials": [{**ROW, "rank": None, "score": None, "grade": None, "township": "dacheng", "official_id": "o1",
                                 "name": "王镇长", "official_rank": "township", "visits_led": 3, "visits_joined": 1}]}}


class Services:
    def __init__(self):
        self.sent: list[tuple[str, str, object]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        body = json.loads(request.content) if request.content else None
        self.sent.append((method, path, body))
        if path == "/api/v1/townships":
            return httpx.Response(200, json=REGISTRY)
        if path == "/api/v1/evaluation/weights" and method == "GET":
            return httpx.Response(200, json={"weights": WEIGHTS, "recorded_by": None, "recorded_at": None})
        if path == "/api/v1/evaluation/weights" and method == "PUT":
            if isinstance(body["resolution"], str):
                return httpx.Response(422, json={"detail": [{"loc": ["body", "resolution"], "msg": "Input should be a valid number",
                                                             "type": "float_parsing"}]})
            return httpx.Response(200, json={"weights": body})
        if path == "/api/v1/evaluations/county":
            return httpx.Response(200, json=[{k: v for k, v in EVALUATION.items() if k != "scorecards"}])
        if path == "/api/v1/evaluations/county/2025" and method == "POST":
            return httpx.Response(409, json={"detail": "already published"})
        if path == "/api/v1/evaluations/county/2025":
            return httpx.Response(200, json=EVALUATION)
        if path == "/api/v1/evaluations/county/2025/document":
            return httpx.Response(200, content=b"PK", headers={"content-type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"})
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


def test_the_weights_are_sent_as_numbers_and_a_refusal_is_named_under_its_field_keeping_what_was_typed(admin, services):
    typed = {f"w_{k}": str(v) for k, v in WEIGHTS.items()}
    assert post(admin, "/reports/evaluations/weights", **typed).status_code == 303
    assert ("PUT", "/api/v1/evaluation/weights", WEIGHTS) in services.sent
    bad = post(admin, "/reports/evaluations/weights", **{**typed, "w_resolution": "两成"})
    assert bad.status_code == 422
    assert "权重填写有误：解决率" in bad.text and 'data-field="w_resolution"' in bad.text and 'value="两成"' in bad.text


def test_a_published_year_is_refused_in_chinese_and_the_list_links_its_downloads(admin):
    page = admin.get("/reports/evaluations?scope=county")
    assert page.status_code == 200 and "2025年度考评结果" in page.text and "/reports/evaluations/county/2025/document" in page.text
    again = post(admin, "/reports/evaluations", scope="county", year="2025")
    assert again.status_code == 409 and "2025年度考评已经发布，发布后不可修改" in again.text
    assert post(admin, "/reports/evaluations", scope="county", year="1999").status_code == 422


def test_the_evaluation_shows_each_list_with_scores_grades_and_what_is_not_scored(admin):
    page = admin.get("/reports/evaluations/county/2025").text
    assert "示范县2025年度遍访企业助企纾困工作考评结果" in page
    assert "大程镇人社所" in page and "76.47" in page and "良好" in page and "不计分" in page and "王镇长" in page
    doc = admin.get("/reports/evaluations/county/2025/document")
    assert doc.status_code == 200 and doc.content == b"PK"


def test_the_year_to_publish_is_last_years_until_december_and_weights_keep_text_that_is_not_a_number():
    from datetime import date
    assert default_year(date(2026, 3, 1)) == "2025" and default_year(date(2026, 12, 1)) == "2026"
    assert weights_body({"w_coverage": " 30 ", "w_on_time": "x"})["coverage"] == 30.0
    assert weights_body({"w_on_time": "x"})["on_time"] == "x"
