"""The ledgers (台账) on the real Kafka and store: a township's visit and issue events published as other systems
would, then both ledgers downloaded as CSV and XLSX with every column a clerk files; a township's token reads no
other township's ledger."""
from __future__ import annotations

import asyncio
import csv
import io
import random
import uuid
from datetime import date

import pytest_asyncio
from openpyxl import load_workbook

from reporting.app import create_app
from tests.support import events, kafka
from tests.support.apps import bearer, running

VIEWER = bearer("county_viewer")


@pytest_asyncio.fixture
async def api(stack, monkeypatch):
    async with running(create_app, monkeypatch) as client:
        yield client


def issue_event(kind: str, township: str, issue_id: str, data: dict) -> tuple[bytes, bytes]:
    return data["enterprise_id"].encode(), events.encode(events.envelope(kind, township, issue_id, {"issue_id": issue_id, **data}))


async def rows_of(api, path: str, fmt: str, wanted) -> list[dict[str, str]]:
    """The ledger's rows as {header: cell}, read again until `wanted(rows)` (the facts are read live)."""
    for _ in range(120):
        got = await api.get(path, params={"format": fmt}, headers=VIEWER)
        assert got.status_code == 200, got.text
        if fmt == "csv":
            assert got.content.startswith(b"\xef\xbb\xbf") and got.headers["content-type"].startswith("text/csv")
            [header, *body] = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
        else:
            sheet = load_workbook(io.BytesIO(got.content)).active
            assert sheet.freeze_panes == "A2"
            [header, *body] = [["" if c.value is None else str(c.value) for c in r] for r in sheet.iter_rows()]
        rows = [dict(zip(header, r)) for r in body]
        if wanted(rows):
            return rows
        await asyncio.sleep(0.25)
    raise AssertionError(f"{path} never had the rows expected: {rows}")


async def test_both_ledgers_download_as_csv_and_xlsx_with_every_column(api, kafka_bootstrap):
    township, rng = f"t-{uuid.uuid4().hex[:8]}", random.Random(21)
    e1, unit = events.uscc(rng), f"u-{uuid.uuid4().hex[:6]}"
    visit = events.visit_logged(
        township, e1, "v-1", date(2026, 2, 3), kind="visit_day", services=["policy", "warmth"], summary="了解用工情况",
        visitors=[{"official_id": "c-1", "name": "张镇长", "rank": "township"}, {"official_id": "c-2", "name": "王县长", "rank": "county"}],
        demands=[{"demand_id": "d1", "category": "labour", "description": "缺焊工20名", "resolved_on_spot": False},
                 {"demand_id": "d2", "category": "policy", "description": "技改补贴", "resolved_on_spot": True}])
    await kafka.produce(kafka_bootstrap, "visits.v1", [
        (township.encode(), events.encode(events.envelope("TownshipRegistered", township, township,
                                                         {"township_id": township, "name": "试点镇", "county": "示范县"}))),
        (e1.encode(), events.encode(events.enterprise_registered(township, e1, date(2026, 1, 2), name="金华精密机械有限公司"))),
        (e1.encode(), events.encode(visit)),
    ])
    await kafka.produce(kafka_bootstrap, "issues.v1", [
        (unit.encode(), events.encode(events.unit_registered("county", unit, "县人力资源和社会保障局"))),
        issue_event("IssueRaised", township, "i-1", {
            "enterprise_id": e1, "source": "visit", "visit_id": "v-1", "category": "labour", "description": "缺焊工20名",
            "responsible_unit": "县人社局", "unit_id": unit, "raised_on": "2026-02-03", "deadline": "2026-02-20"}),
        issue_event("IssueAcknowledged", township, "i-1", {
            "enterprise_id": e1, "unit_id": unit, "responsible_unit": "县人社局", "assigned_on": "2026-02-03",
            "acknowledged_on": "2026-02-04", "working_days_to_acknowledge": 1, "on_time": True}),
        issue_event("IssueClosed", township, "i-1", {
            "enterprise_id": e1, "category": "labour", "raised_on": "2026-02-03", "deadline": "2026-02-20",
            "closed_on": "2026-02-12", "outcome": "resolved", "resolution": "组织专场招聘会，招到18人", "satisfaction": "satisfied",
            "unit_id": unit, "working_days_to_close": 7}),
        issue_event("IssueFollowedUp", township, "i-1", {
            "enterprise_id": e1, "followed_up_on": "2026-02-16", "satisfaction": "very_satisfied", "note": "电话回访", "unit_id": unit}),
        issue_event("IssueRaised", township, "i-2", {  # from the 12345 hotline, open and overdue at the quarter's end
            "enterprise_id": e1, "source": "hotline", "visit_id": None, "category": "land", "description": "厂房用地指标",
            "responsible_unit": "县自然资源局", "raised_on": "2026-03-02", "deadline": "2026-03-16"}),
    ])

    def complete(rows):
        return len(rows) == 2 and rows[0]["满意度"] == "非常满意" and rows[0]["企业名称"] and rows[0]["乡镇"] == "试点镇"

    for path in (f"/api/v1/ledger/{township}/2026-Q1/issues", f"/api/v1/ledger/{township}/2026-Q1"):
        for fmt in ("csv", "xlsx"):
            closed, still_open = await rows_of(api, path, fmt, complete)
            assert closed == {
                "乡镇": "试点镇", "问题编号": "i-1", "企业名称": "金华精密机械有限公司", "统一社会信用代码": e1, "来源": "走访",
                "问题类别": "用工", "诉求内容": "缺焊工20名", "提出日期": "2026-02-03", "责任单位": "县人力资源和社会保障局",
                "办理时限": "2026-02-20", "办结日期": "2026-02-12", "是否按时办结": "是", "办理结果": "已解决",
                "办理情况": "组织专场招聘会，招到18人", "满意度": "非常满意", "期末状态": "已办结", "签收日期": "2026-02-04",
                "退回次数": "0",
            }
            assert (still_open["来源"], still_open["责任单位"], still_open["期末状态"], still_open["办结日期"]) == (
                "12345热线", "县自然资源局", "超期未办结", "")

    for fmt in ("csv", "xlsx"):
        [row] = await rows_of(api, f"/api/v1/ledger/{township}/2026-Q1/visits", fmt, lambda rows: len(rows) == 1 and rows[0]["企业名称"])
        assert row == {
            "乡镇": "试点镇", "走访编号": "v-1", "走访日期": "2026-02-03", "企业名称": "金华精密机械有限公司", "统一社会信用代码": e1,
            "走访方式": "实地走访", "走访类型": "企业走访日", "走访人员": "张镇长、王县长", "县级领导参加": "是",
            "四送内容": "送政策、送温暖", "收集诉求": "用工：缺焊工20名；政策兑现：技改补贴", "诉求数": "2", "现场解决数": "1",
            "走访情况": "了解用工情况",
        }
    county = await rows_of(api, "/api/v1/ledger/county/2026-02/visits", "csv", lambda rows: any(r["走访编号"] == "v-1" for r in rows))
    assert [r["乡镇"] for r in county if r["统一社会信用代码"] == e1] == ["试点镇"]

    got = await api.get(f"/api/v1/ledger/{township}/2026-Q1/visits", params={"format": "xlsx"}, headers=VIEWER)
    assert "filename*=UTF-8''" in got.headers["content-disposition"]
    assert got.headers["content-disposition"].endswith(f"{township}-2026-Q1-%E8%B5%B0%E8%AE%BF%E5%8F%B0%E8%B4%A6.xlsx")  # 走访台账


async def test_a_township_token_reads_no_other_ledger_and_bad_requests_name_the_field(api):
    township = f"t-{uuid.uuid4().hex[:8]}"
    for path in (f"/api/v1/ledger/{township}/2026-Q1/visits", f"/api/v1/ledger/{township}/2026-Q1/issues",
                 f"/api/v1/ledger/{township}/2026-Q1", "/api/v1/ledger/county/2026-Q1/visits"):
        assert (await api.get(path, headers=bearer("dacheng_viewer"))).status_code == 403, path
    assert (await api.get("/api/v1/ledger/dacheng/2026-Q1/visits", headers=bearer("dacheng_viewer"))).status_code == 200
    bad = await api.get(f"/api/v1/ledger/{township}/2026-Q5/visits", headers=VIEWER)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["path", "period"]
    bad = await api.get(f"/api/v1/ledger/{township}/2026-Q1/issues", params={"format": "pdf"}, headers=VIEWER)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "format"]
