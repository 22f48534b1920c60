"""The year-end evaluation on the real Kafka and store: the county's weights (county admin only), an evaluation
computed from the log with the weights in force, frozen (later events and later weights change nothing), verified
from the log, published once, and downloaded as a workbook and a Word document."""
from __future__ import annotations

import io
import random
import uuid
from datetime import date

import pytest_asyncio

from reporting.app import create_app
from tests.support import events, kafka
from tests.support.apps import bearer, running

ADMIN, VIEWER = bearer("county_admin"), bearer("county_viewer")
DEFAULTS = {"coverage": 0.3, "on_time": 0.25, "resolution": 0.2, "satisfaction": 0.15, "attainment": 0.1}


@pytest_asyncio.fixture
async def api(stack, monkeypatch):
    async with running(create_app, monkeypatch) as client:
        yield client


def closed(township: str, issue_id: str, enterprise_id: str, unit_id: str) -> dict:
    return events.envelope("IssueClosed", township, issue_id, {
        "issue_id": issue_id, "enterprise_id": enterprise_id, "category": "labour", "raised_on": "2026-03-02",
        "deadline": "2026-03-20", "closed_on": "2026-03-10", "outcome": "resolved", "resolution": "已招到焊工",
        "satisfaction": "satisfied", "unit_id": unit_id})


async def year_of_events(bootstrap: str, township: str, official: dict, unit_id: str) -> list[str]:
    """Two enterprises assigned to `official`, one visited by them in February; one issue of `unit_id`, closed on time,
    resolved, satisfied. Coverage 1/2; on time, resolved and satisfied 1/1."""
    rng = random.Random(township)
    e1, e2 = events.uscc(rng), events.uscc(rng)
    visits = [(e.encode(), events.encode(events.enterprise_registered(township, e, date(2026, 1, 2), assigned_officials=(official,))))
              for e in (e1, e2)]
    visits.append((e1.encode(), events.encode(events.visit_logged(township, e1, f"v-{uuid.uuid4().hex[:8]}", date(2026, 2, 3),
                                                                  visitors=[official]))))
    await kafka.produce(bootstrap, "visits.v1", visits)
    raised = events.issue_raised(township, "i1", e1, date(2026, 3, 2), date(2026, 3, 20), unit_id=unit_id, responsible_unit="县人社局")
    await kafka.produce(bootstrap, "issues.v1", [(e1.encode(), events.encode(raised)),
                                                 (e1.encode(), events.encode(closed(township, "i1", e1, unit_id)))])
    return [e1, e2]


async def test_weights_are_the_county_admins_and_an_evaluation_is_frozen_verified_and_published_once(api, kafka_bootstrap):
    township, unit_id = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    official = {"official_id": f"o-{uuid.uuid4().hex[:6]}", "name": "赵县长", "rank": "county"}
    e1, e2 = await year_of_events(kafka_bootstrap, township, official, unit_id)

    got = await api.get("/api/v1/evaluation/weights", headers=VIEWER)
    assert got.status_code == 200 and got.json() == {"weights": DEFAULTS, "recorded_by": None, "recorded_at": None}
    weights = {"coverage": 1, "on_time": 1, "resolution": 1, "satisfaction": 1, "attainment": 0}
    for token in ("dacheng_clerk", "dacheng_viewer", "county_viewer", "county_supervisor"):
        assert (await api.put("/api/v1/evaluation/weights", json=weights, headers=bearer(token))).status_code == 403, token
    assert (await api.get("/api/v1/evaluation/weights", headers=bearer("dacheng_viewer"))).status_code == 403
    bad = await api.put("/api/v1/evaluation/weights", json={**weights, "on_time": -1}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "on_time"]
    bad = await api.put("/api/v1/evaluation/weights", json={k: 0 for k in weights}, headers=ADMIN)
    assert bad.status_code == 422 and "coverage" in bad.json()["detail"][0]["msg"]
    put = await api.put("/api/v1/evaluation/weights", json=weights, headers=ADMIN)
    assert put.status_code == 200, put.text
    assert put.json()["weights"] == weights and put.json()["recorded_by"] == "县营商办管理员" and put.json()["recorded_at"]
    assert (await api.get("/api/v1/evaluation/weights", headers=VIEWER)).json() == put.json()

    url = f"/api/v1/evaluations/{township}/2026"
    assert (await api.post(url, headers=bearer("dacheng_clerk"))).status_code == 403  # another township's clerk
    assert (await api.post(url, headers=VIEWER)).status_code == 403
    bad_year = await api.post(f"/api/v1/evaluations/{township}/2026-Q1", headers=ADMIN)
    assert bad_year.status_code == 422 and bad_year.json()["detail"][0]["loc"] == ["path", "year"]
    assert (await api.get(url, headers=VIEWER)).status_code == 404

    first = await api.post(url, headers=ADMIN)
    assert first.status_code == 201, first.text
    ev = first.json()
    assert ev["weights"] == {k: float(v) for k, v in weights.items()} and ev["year"] == "2026" and ev["scope"] == township
    assert len(ev["hash"]) == 64 and {p["topic"] for p in ev["position"]} == {"visits.v1", "issues.v1"}
    [town] = ev["scorecards"]["townships"]
    assert (town["township"], town["coverage_rate"], town["on_time_rate"], town["resolution_rate"], town["satisfaction_rate"]) == \
           (township, 0.5, 1.0, 1.0, 1.0)
    # attainment is weighed 0: 100 · (0.5 + 1 + 1 + 1) / 4
    assert (town["score"], town["grade"], town["rank"]) == (87.5, "良好", 1)
    [unit] = ev["scorecards"]["units"]
    assert (unit["unit_id"], unit["closed"], unit["score"], unit["grade"], unit["rank"]) == (unit_id, 1, 100.0, "优秀", 1)
    [card] = ev["scorecards"]["officials"]
    assert (card["official_id"], card["name"], card["visits_led"], card["coverage_rate"], card["score"]) == \
           (official["official_id"], "赵县长", 1, 0.5, 50.0)
    again = await api.post(url, headers=ADMIN)
    assert again.status_code == 409 and again.json()["evaluation"] == ev

    # Later: the other enterprise is visited, and the weights change. The evaluation stays as it was published.
    await kafka.produce(kafka_bootstrap, "visits.v1", [(e2.encode(), events.encode(events.visit_logged(
        township, e2, f"v-{uuid.uuid4().hex[:8]}", date(2026, 6, 1), visitors=[official])))])
    assert (await api.put("/api/v1/evaluation/weights", json=DEFAULTS, headers=ADMIN)).status_code == 200
    assert (await api.get(url, headers=VIEWER)).json() == ev
    verified = await api.get(f"{url}/verify", headers=VIEWER)
    assert verified.json() == {"hash": ev["hash"], "recomputed_hash": ev["hash"], "matches": True}
    listed = (await api.get(f"/api/v1/evaluations/{township}", headers=VIEWER)).json()
    assert listed == [{k: v for k, v in ev.items() if k not in ("scorecards", "names")}]
    # A new evaluation of the same township now would see the later visit: published for the county, it does.
    assert (await api.post("/api/v1/evaluations/county/2026", headers=bearer("dacheng_clerk"))).status_code == 403
    assert (await api.post("/api/v1/evaluations/county/2026", headers=bearer("county_supervisor"))).status_code == 403
    county = await api.post("/api/v1/evaluations/county/2026", headers=ADMIN)
    assert county.status_code == 201, county.text
    mine = next(r for r in county.json()["scorecards"]["townships"] if r["township"] == township)
    assert mine["coverage_rate"] == 1.0 and county.json()["weights"] == DEFAULTS
    assert (await api.get("/api/v1/evaluations/county/2026/verify", headers=VIEWER)).json()["matches"] is True
    assert (await api.get("/api/v1/evaluations/county/2026", headers=bearer("dacheng_viewer"))).status_code == 403


async def test_the_evaluation_downloads_as_a_workbook_and_a_reproducible_word_document(api, kafka_bootstrap):
    from docx import Document
    from openpyxl import load_workbook

    township, unit_id = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    official = {"official_id": f"o-{uuid.uuid4().hex[:6]}", "name": "钱镇长", "rank": "township"}
    await year_of_events(kafka_bootstrap, township, official, unit_id)
    url = f"/api/v1/evaluations/{township}/2026"
    assert (await api.get(f"{url}/export", headers=VIEWER)).status_code == 404
    ev = (await api.post(url, headers=ADMIN)).json()

    got = await api.get(f"{url}/export", params={"format": "xlsx"}, headers=VIEWER)
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(got.content))
    assert book.sheetnames == ["乡镇", "责任单位", "包抓领导"]
    assert [c.value for c in book["乡镇"][1]][:3] == ["名次", "乡镇", "走访覆盖率"]
    assert [c.value for c in book["乡镇"][2]][:3] == [1, township, 0.5]
    assert [c.value for c in book["责任单位"][2]][:3] == [1, "县人社局", 1]
    assert [c.value for c in book["包抓领导"][2]][1:4] == [township, "钱镇长", "镇班子成员"]
    assert (await api.get(f"{url}/export", params={"format": "pdf"}, headers=VIEWER)).status_code == 422

    doc = await api.get(f"{url}/document", headers=VIEWER)
    assert doc.status_code == 200 and "wordprocessingml" in doc.headers["content-type"]
    assert "attachment" in doc.headers["content-disposition"]
    text = "\n".join([p.text for p in Document(io.BytesIO(doc.content)).paragraphs] +
                     [c.text for t in Document(io.BytesIO(doc.content)).tables for r in t.rows for c in r.cells])
    assert f"{township}2026年度遍访企业助企纾困工作考评结果" in text and ev["hash"] in text
    assert f"{ev['scorecards']['townships'][0]['score']:.2f}" in text and f"{url}/verify" in text
    assert (await api.get(f"{url}/document", headers=VIEWER)).content == doc.content  # byte for byte
    assert (await api.get(f"{url}/document", headers=bearer("dacheng_viewer"))).status_code == 403
