"""The notifier's HTTP routes in process on the fake store: who may configure and read, the 422s naming the
field, the notice list's tenancy and the 督办单 as JSON and .docx."""
from __future__ import annotations

import io
from datetime import datetime

import docx
import httpx
import pytest
from fastapi import FastAPI

from buildingblocks import errors
from buildingblocks.auth import TokenStore, install_gate
from buildingblocks.clock import FixedClock
from contracts.envelope import CHINA
from notifier import api, domain
from notifier.store import _notice_doc
from tests.support.apps import bearer
from tests.unit.notifier.fakes import FakeStore

ADMIN, VIEWER = bearer("county_admin"), bearer("county_viewer")
CLERK, DACHENG, XIYANG = bearer("dacheng_clerk"), bearer("dacheng_viewer"), bearer("xiyang_clerk")
NUMBER = "督〔2026〕4号"
AT = datetime(2026, 12, 3, 9, 30, tzinfo=CHINA)
ADMIN_NAME = "县营商办管理员"


@pytest.fixture
def store():
    s = FakeStore()
    s.sheets[NUMBER] = {"number": NUMBER, "level": "yellow", "township": "dacheng", "issue_id": "iss-1",
                        "enterprise": "甲机械公司", "demand": "招工难", "deadline": "2026-11-20",
                        "working_days_overdue": 2, "unit": "县人社局", "head": "李局长", "leaders": ["王县长"],
                        "issued_on": "2026-11-24"}
    at = datetime(2026, 12, 2, 10, tzinfo=CHINA)
    for township in ("dacheng", "xiyang"):
        to = domain.Address("unit:u", "单位", "email", f"{township}@x.cn")
        for n in domain.notices_for("new_issue", f"ev-{township}", township, "iss-1", None, [to],
                                    domain.Message("t", ("l",)), at):
            s.docs[n.notice_id] = _notice_doc(n)
    return s


@pytest.fixture
async def client(store):
    app = FastAPI()
    app.state.tokens = TokenStore.from_env()
    install_gate(app, api.SCOPE_RULES)
    errors.install_handlers(app)
    app.include_router(api.router)
    app.state.store = store
    app.state.clock = FixedClock(AT)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notifier") as c:
        yield c


UNIT = {"webhook": {"url": "http://robot.example/hook", "format": "dingtalk"}, "sms": ["13800000001"],
        "email": ["rsj@county.cn"], "head": {"name": "李局长", "sms": ["13900000002"]}}


async def test_the_county_admin_sets_and_reads_a_units_recipients(client):
    assert (await client.get("/api/v1/recipients/units/c-rsj", headers=ADMIN)).status_code == 404
    r = await client.put("/api/v1/recipients/units/c-rsj", json=UNIT, headers=ADMIN)
    assert r.status_code == 200, r.text
    got = (await client.get("/api/v1/recipients/units/c-rsj", headers=ADMIN)).json()
    assert got["webhook"] == {"url": "http://robot.example/hook", "format": "dingtalk", "msgtype": "markdown"}
    assert got["head"]["sms"] == ["13900000002"]
    assert (got["recorded_by"], got["recorded_at"]) == (ADMIN_NAME, AT.isoformat())  # who set it, on the service's clock
    r = await client.put("/api/v1/recipients/officials/c-1", json={"name": "王县长", "email": ["w@x.cn"]}, headers=ADMIN)
    assert r.status_code == 200 and r.json()["recorded_by"] == ADMIN_NAME
    got = (await client.get("/api/v1/recipients/officials/c-1", headers=ADMIN)).json()
    assert got["email"] == ["w@x.cn"] and (got["recorded_by"], got["recorded_at"]) == (ADMIN_NAME, AT.isoformat())
    r = await client.put("/api/v1/recipients/units/c-rsj", json={**UNIT, "recorded_by": "someone"}, headers=ADMIN)
    assert r.status_code == 422  # the author comes from the token, never from the body


@pytest.mark.parametrize("who", [VIEWER, CLERK, DACHENG])
async def test_nobody_else_sees_or_sets_recipients(client, who):
    assert (await client.put("/api/v1/recipients/units/c-rsj", json=UNIT, headers=who)).status_code == 403
    assert (await client.get("/api/v1/recipients/units/c-rsj", headers=who)).status_code == 403
    assert (await client.put("/api/v1/settings", json={}, headers=who)).status_code == 403


async def test_bad_recipients_and_settings_are_refused_naming_the_field(client):
    r = await client.put("/api/v1/recipients/units/c-rsj", json={**UNIT, "sms": ["not a phone"]}, headers=ADMIN)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "sms"]
    r = await client.put("/api/v1/recipients/units/C_RSJ", json=UNIT, headers=ADMIN)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "unit_id"]
    r = await client.put("/api/v1/settings", json={"quiet_hours": {"start": "25:00", "end": "07:00"}}, headers=ADMIN)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:3] == ["body", "quiet_hours", "start"]
    r = await client.put("/api/v1/settings", json={"digest_time": "08:00+08:00"}, headers=ADMIN)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "digest_time"]
    assert "without an offset" in r.json()["detail"][0]["msg"]
    r = await client.put("/api/v1/settings", json={"digest_weekday": 8}, headers=ADMIN)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "digest_weekday"]


async def test_settings_round_trip(client):
    assert (await client.get("/api/v1/settings", headers=VIEWER)).json() == {
        "quiet_hours": {"start": "22:00:00", "end": "07:30:00"}, "digest_weekday": 1, "digest_time": "08:30:00",
        "recorded_by": None, "recorded_at": None}
    body = {"quiet_hours": None, "digest_weekday": 5, "digest_time": "17:00"}
    assert (await client.put("/api/v1/settings", json=body, headers=ADMIN)).status_code == 200
    got = (await client.get("/api/v1/settings", headers=VIEWER)).json()
    assert got["quiet_hours"] is None and (got["recorded_by"], got["recorded_at"]) == (ADMIN_NAME, AT.isoformat())


async def test_the_county_sees_every_notice_and_a_township_its_own(client):
    everyone = (await client.get("/api/v1/notices", headers=VIEWER)).json()
    assert sorted(n["township"] for n in everyone) == ["dacheng", "xiyang"]
    own = (await client.get("/api/v1/notices", headers=DACHENG)).json()
    assert [n["township"] for n in own] == ["dacheng"]
    assert set(own[0]) >= {"notice_id", "kind", "recipient", "channel", "status", "attempts", "last_error",
                           "created_at", "sent_at", "number", "issue_id"}
    assert (await client.get("/api/v1/notices?township=xiyang", headers=DACHENG)).status_code == 403
    assert (await client.get("/api/v1/notices?status=sent", headers=VIEWER)).json() == []
    assert (await client.get("/api/v1/notices?status=lost", headers=VIEWER)).status_code == 422


async def test_the_supervision_notice_as_json_and_as_a_word_document(client):
    sheet = (await client.get(f"/api/v1/supervision-notices/{NUMBER}", headers=DACHENG)).json()
    assert sheet["enterprise"] == "甲机械公司" and sheet["working_days_overdue"] == 2
    assert (await client.get("/api/v1/supervision-notices/2026-4", headers=VIEWER)).json()["number"] == NUMBER
    r = await client.get(f"/api/v1/supervision-notices/{NUMBER}/document", headers=VIEWER)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    opened = docx.Document(io.BytesIO(r.content))
    cells = [c.text for t in opened.tables for row in t.rows for c in row.cells]
    for wanted in (NUMBER, "甲机械公司", "2026-11-20", "县人社局"):
        assert wanted in cells


async def test_another_townships_supervision_notice_and_a_missing_one_get_the_same_refusal(client):
    other = await client.get(f"/api/v1/supervision-notices/{NUMBER}", headers=XIYANG)
    missing = await client.get("/api/v1/supervision-notices/督〔2026〕99号", headers=XIYANG)
    assert other.status_code == missing.status_code == 403 and other.json() == missing.json()
    assert (await client.get("/api/v1/supervision-notices/督〔2026〕99号", headers=VIEWER)).status_code == 404
