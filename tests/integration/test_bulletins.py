"""Frozen bulletins on the real Kafka and store: computed from the log up to a recorded position, stored once,
unchanged by later events, and recomputed from the log to the same hash."""
from __future__ import annotations

import asyncio
import random
import uuid
from datetime import date

import pytest_asyncio

from reporting.app import create_app
from tests.support import events, kafka
from tests.support.apps import bearer, running

ADMIN, VIEWER = bearer("county_admin"), bearer("county_viewer")


@pytest_asyncio.fixture
async def api(stack, monkeypatch):
    async with running(create_app, monkeypatch) as client:
        yield client


def visits(township: str, n: int, rng: random.Random) -> list[tuple[bytes, bytes]]:
    out = []
    for i in range(n):
        e = events.uscc(rng)
        out.append((e.encode(), events.encode(events.enterprise_registered(township, e, date(2026, 1, 2)))))
        out.append((e.encode(), events.encode(events.visit_logged(township, e, f"v{uuid.uuid4().hex[:6]}", date(2026, 2, 1 + i)))))
    return out


async def test_a_bulletin_is_frozen_and_recomputes_to_the_same_hash(api, kafka_bootstrap):
    township, rng = f"t-{uuid.uuid4().hex[:8]}", random.Random(5)
    await kafka.produce(kafka_bootstrap, "visits.v1", visits(township, 4, rng))

    first = await api.post(f"/api/v1/bulletins/{township}/2026-Q1", headers=ADMIN)
    assert first.status_code == 201, first.text
    bulletin = first.json()
    assert bulletin["report"]["visits"] == 4 and bulletin["report"]["enterprises_registered"] == 4
    assert len(bulletin["hash"]) == 64 and {p["topic"] for p in bulletin["position"]} == {"visits.v1", "issues.v1"}
    assert (await api.post(f"/api/v1/bulletins/{township}/2026-Q1", headers=ADMIN)).status_code == 409

    await kafka.produce(kafka_bootstrap, "visits.v1", visits(township, 3, rng))  # later events of the same quarter
    for _ in range(120):  # the live report moves on ...
        live = await api.get(f"/api/v1/reports/{township}/2026-Q1", headers=VIEWER)
        if live.status_code == 200 and live.json()["visits"] == 7:
            break
        await asyncio.sleep(0.25)
    assert live.json()["visits"] == 7
    again = (await api.get(f"/api/v1/bulletins/{township}/2026-Q1", headers=VIEWER)).json()
    assert again == bulletin  # ... the bulletin does not
    verified = (await api.get(f"/api/v1/bulletins/{township}/2026-Q1/verify", headers=VIEWER)).json()
    assert verified == {"hash": bulletin["hash"], "recomputed_hash": bulletin["hash"], "matches": True, "units_match": True}


async def test_a_bulletin_freezes_its_number_the_names_and_the_units_table_from_the_log(api, kafka_bootstrap):
    township, rng = f"t-{uuid.uuid4().hex[:8]}", random.Random(9)
    named = events.envelope("TownshipRegistered", township, township, {"township_id": township, "name": "试点镇", "county": "示范县"})
    await kafka.produce(kafka_bootstrap, "visits.v1", [(township.encode(), events.encode(named)), *visits(township, 2, rng)])
    first = (await api.post(f"/api/v1/bulletins/{township}/2026-01", headers=ADMIN)).json()
    second = (await api.post(f"/api/v1/bulletins/{township}/2026-02", headers=ADMIN)).json()
    year = first["published_at"][:4]
    assert first["number"] == f"〔{year}〕1号" and second["number"] == f"〔{year}〕2号"  # one count per township and year
    assert first["names"]["townships"][township] == "试点镇" and first["names"]["county"]
    assert first["issuer"] == "试点镇遍访企业助企纾困工作领导小组" and first["units"] == []
    # a refused second publish takes no number
    assert (await api.post(f"/api/v1/bulletins/{township}/2026-02", headers=ADMIN)).status_code == 409
    third = (await api.post(f"/api/v1/bulletins/{township}/2026-03", headers=ADMIN)).json()
    assert third["number"] == f"〔{year}〕3号"


async def test_the_county_bulletin_and_who_may_publish(api, kafka_bootstrap):
    township = f"t-{uuid.uuid4().hex[:8]}"
    await kafka.produce(kafka_bootstrap, "visits.v1", visits(township, 2, random.Random(6)))
    assert (await api.post("/api/v1/bulletins/county/2026-Q1", headers=bearer("dacheng_clerk"))).status_code == 403
    assert (await api.post(f"/api/v1/bulletins/{township}/2026-Q1", headers=bearer("dacheng_clerk"))).status_code == 403
    published = await api.post("/api/v1/bulletins/county/2026-Q1", headers=ADMIN)
    assert published.status_code == 201, published.text
    county = published.json()["report"]
    assert township in [r["township"] for r in county["townships"]] and "ranking" in county
    verified = (await api.get("/api/v1/bulletins/county/2026-Q1/verify", headers=VIEWER)).json()
    assert verified["matches"] is True
    assert (await api.get("/api/v1/bulletins/county/2026-Q2", headers=VIEWER)).status_code == 404


async def test_the_bulletin_and_the_ledger_export_as_csv_and_xlsx_with_chinese_headers(api, kafka_bootstrap):
    import csv
    import io

    from openpyxl import load_workbook

    township, rng = f"t-{uuid.uuid4().hex[:8]}", random.Random(8)
    await kafka.produce(kafka_bootstrap, "visits.v1", visits(township, 2, rng))
    raised = events.envelope("IssueRaised", township, "i1", {
        "issue_id": "i1", "enterprise_id": "91330782MA2ABCD13A", "source": "visit", "visit_id": None, "category": "labour",
        "description": "缺焊工", "responsible_unit": "镇人社所", "raised_on": "2026-02-02", "deadline": "2026-02-16"})
    await kafka.produce(kafka_bootstrap, "issues.v1", [(b"91330782MA2ABCD13A", events.encode(raised))])
    assert (await api.post(f"/api/v1/bulletins/{township}/2026-Q1", headers=ADMIN)).status_code == 201

    got = await api.get(f"/api/v1/bulletins/{township}/2026-Q1/export", params={"format": "csv"}, headers=VIEWER)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    [header, row] = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert header[:5] == ["乡镇", "期间", "纳入企业数", "走访企业数", "走访覆盖率"]
    assert row[:5] == [township, "2026-Q1", "2", "2", "1.0"]
    columns = dict(zip(header, row))  # the units' figures follow §3's: nothing closed, no 解决率; nothing returned
    assert (columns["解决率"], columns["退回次数"], columns["签收用时P90（工作日）"]) == ("", "0", "")

    got = await api.get(f"/api/v1/bulletins/{township}/2026-Q1/export", params={"format": "xlsx"}, headers=VIEWER)
    sheet = load_workbook(io.BytesIO(got.content)).active
    assert [c.value for c in sheet[1]][:3] == ["乡镇", "期间", "纳入企业数"] and sheet["C2"].value == 2

    for _ in range(120):  # the ledger is read from the live facts
        ledger = await api.get(f"/api/v1/ledger/{township}/2026-Q1", params={"format": "csv"}, headers=VIEWER)
        rows = list(csv.reader(io.StringIO(ledger.content.decode("utf-8-sig"))))
        if len(rows) == 2:
            break
        await asyncio.sleep(0.25)
    assert rows[0][:4] == ["乡镇", "问题编号", "企业名称", "统一社会信用代码"]  # every column: tests/integration/test_ledgers.py
    issue = dict(zip(rows[0], rows[1]))
    assert [issue[c] for c in ("问题编号", "统一社会信用代码", "问题类别", "期末状态")] == ["i1", "91330782MA2ABCD13A", "用工", "超期未办结"]
    assert (await api.get(f"/api/v1/ledger/{township}/2026-Q1", params={"format": "pdf"}, headers=VIEWER)).status_code == 422


async def test_the_published_bulletins_of_a_scope_are_listed_newest_period_first_without_their_reports(api, kafka_bootstrap):
    township, other = f"t-{uuid.uuid4().hex[:8]}", f"t-{uuid.uuid4().hex[:8]}"
    await kafka.produce(kafka_bootstrap, "visits.v1", visits(township, 2, random.Random(9)))
    assert (await api.get(f"/api/v1/bulletins/{township}", headers=VIEWER)).json() == []
    published = {}
    for period in ["2026-02", "2026-Q1", "2025", "2026-03"]:  # published out of order
        r = await api.post(f"/api/v1/bulletins/{township}/{period}", headers=ADMIN)
        assert r.status_code == 201, r.text
        published[period] = r.json()
    # A township whose id starts like this one's, and the county: neither is in this township's list.
    assert (await api.post(f"/api/v1/bulletins/{township}-x/2026-Q1", headers=ADMIN)).status_code == 201
    assert (await api.post(f"/api/v1/bulletins/{other}/2026-Q1", headers=ADMIN)).status_code == 201

    r = await api.get(f"/api/v1/bulletins/{township}", headers=VIEWER)
    assert r.status_code == 200, r.text
    listed = r.json()
    # By the period's last day, newest first; of two ending the same day, the shorter (2026-03 before 2026-Q1).
    assert [b["period"] for b in listed] == ["2026-03", "2026-Q1", "2026-02", "2025"]
    for b in listed:
        full = published[b["period"]]
        assert b == {k: v for k, v in full.items() if k not in ("report", "units", "names")}
        assert set(b) == {"scope", "period", "published_at", "published_by", "position", "hash", "number", "issuer"}
        assert b["scope"] == township
        assert b["published_by"] == "县营商办管理员" and len(b["hash"]) == 64
    # The route beside it still answers the bulletin itself.
    assert (await api.get(f"/api/v1/bulletins/{township}/2026-Q1", headers=VIEWER)).json() == published["2026-Q1"]

    county = await api.get("/api/v1/bulletins/county", headers=VIEWER)
    assert county.status_code == 200 and all(b["scope"] == "county" for b in county.json())
    assert (await api.get("/api/v1/bulletins/county", headers=bearer("dacheng_viewer"))).status_code == 403
    assert (await api.get(f"/api/v1/bulletins/{township}", headers=bearer("dacheng_viewer"))).status_code == 403
    assert (await api.get(f"/api/v1/bulletins/{township}")).status_code == 401
    assert (await api.get("/api/v1/bulletins/Not-A-Town", headers=VIEWER)).status_code == 422
