"""The issues HTTP routes in process on the fake repository (no server): what a client sees of the rules that
depend on the request — the Idempotency-Key, "not in the future" judged on the app's clock, today's sweep and
the overdue ledger."""
from __future__ import annotations

from datetime import date

import httpx
import pytest
from fastapi import FastAPI

from buildingblocks import errors
from buildingblocks.auth import TokenStore
from buildingblocks.clock import FixedClock
from buildingblocks.metrics import Metrics
from issues import api
from issues.calendar import WorkCalendar, builtin_schedules
from issues.handlers import Context
from issues.metrics import Escalations
from tests.support.apps import bearer
from tests.unit.issues.fakes import FakeRepository

T = "/api/v1/townships/dacheng"
CLERK, ADMIN = bearer("dacheng_clerk"), bearer("county_admin")
E1 = "91330782MA2ABCD13A"


def issue(**extra) -> dict:
    return {"enterprise_id": E1, "category": "labour", "description": "缺焊工20名", "source": "leader", **extra}


def app_on(repo: FakeRepository, clock: FixedClock) -> FastAPI:
    app = FastAPI()
    app.state.tokens = TokenStore.from_env()
    errors.install_handlers(app)
    app.include_router(api.router)
    app.state.ctx = Context(repo, WorkCalendar(builtin_schedules()), clock=clock)
    app.state.escalations = Escalations(Metrics("issues"))
    return app


@pytest.fixture
def clock():
    return FixedClock(date(2026, 3, 16))


@pytest.fixture
async def client(repo, clock):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_on(repo, clock)), base_url="http://issues") as c:
        yield c


async def test_the_same_idempotency_key_and_body_is_the_first_issue_and_another_body_a_409(client, repo):
    key = {**CLERK, "Idempotency-Key": "retry-1"}
    first = await client.post(f"{T}/issues", json=issue(raised_on="2026-03-02"), headers=key)
    again = await client.post(f"{T}/issues", json=issue(raised_on="2026-03-02"), headers=key)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    other = await client.post(f"{T}/issues", json=issue(raised_on="2026-03-02", description="缺电工"), headers=key)
    assert other.status_code == 409
    assert other.json() == {"detail": "this Idempotency-Key was already used for a different request"}
    assert len(repo.docs) == 1 and len(repo.events()) == 1


async def test_not_in_the_future_is_judged_on_the_apps_clock(client, repo):
    tomorrow = await client.post(f"{T}/issues", json=issue(raised_on="2026-03-17"), headers=CLERK)
    assert tomorrow.status_code == 422
    [error] = tomorrow.json()["detail"]
    assert error["loc"] == ["body", "raised_on"] and "cannot be in the future (today is 2026-03-16)" in error["msg"]
    today = await client.post(f"{T}/issues", json=issue(), headers=CLERK)
    assert today.status_code == 201 and today.json()["raised_on"] == "2026-03-16"
    path = f"{T}/issues/{today.json()['issue_id']}"
    late = await client.post(f"{path}/close", headers=CLERK,
                             json={"closed_on": "2026-03-17", "outcome": "resolved", "resolution": "招聘会"})
    assert late.status_code == 422 and "today is 2026-03-16" in late.text


async def test_the_sweep_runs_on_the_apps_today_and_the_overdue_ledger_is_by_the_same_day(client, repo, clock):
    due = (await client.post(f"{T}/issues", json=issue(raised_on="2026-03-02", deadline="2026-03-17"), headers=CLERK)).json()
    swept = await client.post(f"{T}/supervision/sweep", headers=ADMIN)
    assert swept.json() == {"changed": [{"issue_id": due["issue_id"], "level": "blue"}]}
    overdue = lambda: client.get(f"{T}/issues", params={"overdue": "true"}, headers=CLERK)  # noqa: E731
    assert (await overdue()).json() == []
    clock.advance(days=2)
    assert [i["issue_id"] for i in (await overdue()).json()] == [due["issue_id"]]
    assert "history" not in (await overdue()).json()[0]
    board = (await client.get(f"{T}/supervision", headers=CLERK)).json()
    assert [b["issue_id"] for b in board["by_level"]["blue"]] == [due["issue_id"]]


async def test_a_settings_refusal_names_the_field_and_an_unknown_issue_is_a_404(client):
    r = await client.put(f"{T}/settings", json={"sla_working_days": {"labour": 0}}, headers=ADMIN)
    assert r.status_code == 422
    assert r.json()["detail"] == [{"loc": ["body", "sla_working_days.labour"], "msg": "must be between 1 and 250 working days",
                                   "type": "value_error"}]
    assert (await client.get(f"{T}/issues/nope", headers=CLERK)).status_code == 404


async def test_a_settings_change_names_who_made_it_and_when_and_keeps_the_history(client, clock):
    first = await client.put(f"{T}/settings", json={"sla_working_days": {"land": 30}}, headers=ADMIN)
    await client.put(f"{T}/settings", json={"red_after_working_days": 7}, headers=ADMIN)
    shown = (await client.get(f"{T}/settings", headers=CLERK)).json()
    assert first.status_code == 200 and first.json()["recorded_by"] == "县营商办管理员"
    assert (shown["recorded_by"], shown["recorded_at"]) == ("县营商办管理员", clock.now().isoformat())
    assert [(h["rules"]["sla_working_days"]["land"], h["rules"]["red_after_working_days"], h["recorded_by"])
            for h in shown["history"]] == [(30, 5, "县营商办管理员"), (30, 7, "县营商办管理员")]
