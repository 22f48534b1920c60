"""The visits service's HTTP API in-process on the real Kafka and store: registry, visits, guard, idempotency,
import, tokens. (Publication to Kafka is checked in tests/e2e/test_visits_events.py.)"""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import pytest_asyncio

from tests.support.apps import bearer, replica, running
from visits.app import create_app
from buildingblocks.clock import clock

T = "/api/v1/townships/dacheng"
CLERK = bearer("dacheng_clerk")
E1, E2 = "91330782MA2ABCD13A", "91110000600037341L"
TODAY = clock.today()


@pytest_asyncio.fixture
async def api(stack, monkeypatch):
    async with running(create_app, monkeypatch) as client:
        yield client


async def seed(api, enterprises=(E1,)):
    for oid, name, rank in [("c-li", "李县长", "county"), ("t-hao", "郝书记", "township"), ("k-zhao", "赵干事", "cadre")]:
        r = await api.post(f"{T}/officials", json={"official_id": oid, "name": name, "rank": rank}, headers=CLERK)
        assert r.status_code == 201, r.text
    for e in enterprises:
        body = {"enterprise_id": e, "name": f"企业{e[-4:]}", "category": "industry", "registered_on": "2026-01-05",
                "assigned_official_ids": ["c-li"]}
        r = await api.post(f"{T}/enterprises", json=body, headers=CLERK)
        assert r.status_code == 201, r.text


def visit(on: date, *visitors: str, kind="routine", **extra) -> dict:
    return {"enterprise_id": E1, "visited_on": on.isoformat(), "visitor_ids": list(visitors or ["c-li"]),
            "channel": "in_person", "kind": kind, "services": ["policy"], "summary": "", "demands": [], **extra}


async def test_registering_an_enterprise_twice_is_a_conflict_and_a_bad_code_names_the_check_character(api):
    await seed(api)
    again = await api.post(f"{T}/enterprises", json={"enterprise_id": E1, "name": "x", "category": "industry"}, headers=CLERK)
    assert again.status_code == 409
    bad = await api.post(f"{T}/enterprises", json={"enterprise_id": "91330782MA2ABCD13B", "name": "x", "category": "mining",
                                                   "park": "园区", "extra": 1}, headers=CLERK)
    assert bad.status_code == 422
    errors = {e["loc"][-1]: e["msg"] for e in bad.json()["detail"]}
    assert "check character" in errors["enterprise_id"]
    assert "category" in errors and "extra" in errors


async def test_a_visit_is_logged_with_its_demands_and_the_guard_refuses_a_second_routine_visit(api):
    await seed(api)
    first = await api.post(f"{T}/visits", json=visit(TODAY - timedelta(days=3), "c-li", "t-hao", demands=[
        {"category": "labour", "description": "缺焊工"}, {"category": "policy", "description": "补贴", "resolved_on_spot": True}]),
        headers=CLERK)
    assert first.status_code == 201, first.text
    v = first.json()
    assert [d["demand_id"] for d in v["demands"]] == [f"{v['visit_id']}-d1", f"{v['visit_id']}-d2"]
    assert [o["official_id"] for o in v["visitors"]] == ["c-li", "t-hao"]

    refused = await api.post(f"{T}/visits", json=visit(TODAY, "k-zhao"), headers=CLERK)
    assert refused.status_code == 409
    body = refused.json()
    assert body["last_visit"] == {"visit_id": v["visit_id"], "visited_on": (TODAY - timedelta(days=3)).isoformat(), "by": "李县长"}
    assert body["routine_visit_allowed_from"] == (TODAY + timedelta(days=11)).isoformat()
    assert "李县长" in body["detail"]

    joint = await api.post(f"{T}/visits", json=visit(TODAY, "k-zhao", "c-li", kind="joint"), headers=CLERK)
    assert joint.status_code == 201
    override = await api.post(f"{T}/visits", json=visit(TODAY, "k-zhao", override_reason="企业紧急求助：停电"), headers=CLERK)
    assert override.status_code == 201 and override.json()["override_reason"] == "企业紧急求助：停电"

    guard = {g["enterprise_id"]: g for g in (await api.get(f"{T}/visit-guard", headers=CLERK)).json()}
    assert guard[E1]["routine_visit_refused"] and guard[E1]["last_visited_on"] == TODAY.isoformat()
    listed = (await api.get(f"{T}/enterprises", headers=CLERK)).json()
    assert listed[0]["last_visited_on"] == TODAY.isoformat() and listed[0]["assigned_official_ids"] == ["c-li"]
    assert "visit_log" not in listed[0] and "last_visit" not in listed[0]  # kept on the document, not shown raw

    # A visit logged late, dated before the latest one, leaves the latest one as the last visit.
    late = await api.post(f"{T}/visits", json=visit(TODAY - timedelta(days=20), "t-hao"), headers=CLERK)
    assert late.status_code == 201, late.text
    listed = (await api.get(f"{T}/enterprises", headers=CLERK)).json()
    assert (listed[0]["last_visited_on"], listed[0]["last_visited_by"]) == (TODAY.isoformat(), "赵干事")


async def test_the_quiet_period_is_a_township_setting(api):
    await seed(api)
    assert (await api.put(f"{T}/settings", json={"quiet_period_days": 2}, headers=CLERK)).status_code == 403  # admin only
    assert (await api.put(f"{T}/settings", json={"quiet_period_days": 2}, headers=bearer("county_admin"))).status_code == 200
    assert (await api.post(f"{T}/visits", json=visit(TODAY - timedelta(days=2)), headers=CLERK)).status_code == 201
    assert (await api.post(f"{T}/visits", json=visit(TODAY), headers=CLERK)).status_code == 201


async def test_a_retried_post_with_the_same_idempotency_key_returns_the_first_visit(api):
    await seed(api)
    headers = {**CLERK, "Idempotency-Key": "phone-retry-1"}
    first = await api.post(f"{T}/visits", json=visit(TODAY), headers=headers)
    again = await api.post(f"{T}/visits", json=visit(TODAY), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len((await api.get(f"{T}/visits", headers=CLERK)).json()) == 1
    other = await api.post(f"{T}/visits", json=visit(TODAY, summary="different"), headers=headers)
    assert other.status_code == 409 and "Idempotency-Key" in other.json()["detail"]
    official = {"official_id": "new", "name": "新干部", "rank": "cadre"}
    h = {**CLERK, "Idempotency-Key": "o-1"}
    assert [(await api.post(f"{T}/officials", json=official, headers=h)).status_code for _ in range(2)] == [201, 201]


async def test_unknown_enterprise_or_official_is_404_and_bad_visit_fields_are_named(api):
    await seed(api)
    r = await api.post(f"{T}/visits", json=visit(TODAY, enterprise_id=E2), headers=CLERK)
    assert r.status_code == 404 and E2 in r.json()["detail"]
    r = await api.post(f"{T}/visits", json=visit(TODAY, "c-li", "nobody"), headers=CLERK)
    assert r.status_code == 404 and r.json()["unknown"] == {"official": ["nobody"]}
    r = await api.post(f"{T}/visits", json=visit(TODAY + timedelta(days=1), channel="fax", services=["policy", "gold"]), headers=CLERK)
    assert r.status_code == 422
    named = {tuple(e["loc"][1:2]) for e in r.json()["detail"]}
    assert {("visited_on",), ("channel",), ("services",)} <= named
    assert "future" in r.text
    r = await api.post(f"{T}/visits", json=visit(TODAY, "c-li", kind="joint"), headers=CLERK)
    assert r.status_code == 422 and "joint visit needs at least two" in r.text


async def test_assignments_keep_their_history_and_are_read_by_date(api):
    await seed(api)
    path = f"{T}/enterprises/{E1}/assignments"
    assert (await api.post(path, json={"official_id": "t-hao", "start": "2026-02-01"}, headers=CLERK)).status_code == 201
    assert (await api.post(path, json={"official_id": "t-hao", "start": "2026-03-01"}, headers=CLERK)).status_code == 409
    ended = await api.post(f"{path}/c-li/end", json={"end": "2026-01-31"}, headers=CLERK)
    assert ended.status_code == 200
    on = lambda d: api.get(f"{T}/enterprises/{E1}", params={"on": d}, headers=CLERK)  # noqa: E731
    assert (await on("2026-01-20")).json()["assigned_official_ids"] == ["c-li"]
    assert (await on("2026-02-10")).json()["assigned_official_ids"] == ["t-hao"]
    assert len((await on("2026-02-10")).json()["assignments"]) == 2


CSV_HEADER = "序号,统一社会信用代码,企业名称,企业类别,纳入日期,所在园区,包抓领导\n"


async def test_import_reports_every_bad_row_imports_nothing_unless_asked_and_reimport_changes_nothing(api):
    await seed(api, enterprises=())
    good = f"1,{E1},大程机械,规上工业,2026-01-05,先进制造工业园,c-li\n2,{E2},大程商贸,限上批零住餐,2026/1/6,,\n"
    bad = "3,91330782MA2ABCD13B,坏代码,规上工业,,,\n4,91350100M0001TGQXM,未知领导,挖矿,2026-13-01,,nobody\n"
    upload = lambda text: {"file": ("大程镇五上企业.csv", io.BytesIO((CSV_HEADER + text).encode("utf-8-sig")), "text/csv")}  # noqa: E731

    refused = await api.post(f"{T}/enterprises/import", files=upload(good + bad), headers=CLERK)
    assert refused.status_code == 422
    report = refused.json()
    assert report["imported"] == []
    assert {(e["row"], e["column"]) for e in report["errors"]} >= {(4, "统一社会信用代码"), (5, "企业类别")}
    assert any("check character" in e["reason"] for e in report["errors"] if e["row"] == 4)
    assert (await api.get(f"{T}/enterprises", headers=CLERK)).json() == []

    partial = await api.post(f"{T}/enterprises/import", params={"good_rows_only": "true"}, files=upload(good + bad), headers=CLERK)
    assert partial.status_code == 200 and sorted(partial.json()["imported"]) == sorted([E1, E2])
    again = await api.post(f"{T}/enterprises/import", files=upload(good), headers=CLERK)
    assert again.status_code == 200
    assert again.json()["imported"] == [] and sorted(again.json()["already_registered"]) == sorted([E1, E2])
    assert len((await api.get(f"{T}/enterprises", headers=CLERK)).json()) == 2


@pytest.mark.parametrize("method,path,body", [
    ("get", "/enterprises", None), ("get", "/visits", None), ("get", "/officials", None), ("get", "/visit-guard", None),
    ("get", "/settings", None), ("get", f"/enterprises/{E1}", None),
    ("post", "/officials", {"official_id": "x", "name": "x", "rank": "cadre"}),
    ("post", "/enterprises", {"enterprise_id": E2, "name": "x", "category": "industry"}),
    ("post", "/visits", {}), ("post", f"/enterprises/{E1}/assignments", {"official_id": "x"}),
])
async def test_another_townships_token_gets_403_revealing_nothing_and_no_token_gets_401(api, method, path, body):
    await seed(api)
    kwargs = {"json": body} if body is not None else {}
    url = f"/api/v1/townships/xiyang{path}"
    foreign = await api.request(method, f"{T}{path}", headers=bearer("xiyang_clerk"), **kwargs)
    nowhere = await api.request(method, f"/api/v1/townships/nosuchtown{path}", headers=bearer("xiyang_clerk"), **kwargs)
    assert foreign.status_code == nowhere.status_code == 403
    assert foreign.json() == nowhere.json()  # the same answer whether or not dacheng has that data
    assert (await api.request(method, url, **kwargs)).status_code == 401
    assert (await api.request(method, url, headers={"Authorization": "Bearer wrong"}, **kwargs)).status_code == 401
    if method == "post":
        assert (await api.request(method, f"{T}{path}", headers=bearer("dacheng_viewer"), **kwargs)).status_code == 403
    else:
        assert (await api.request(method, f"{T}{path}", headers=bearer("county_viewer"), **kwargs)).status_code == 200


async def test_a_township_id_outside_the_contract_pattern_is_a_422_even_for_a_county_token(api):
    body = {"enterprise_id": E1, "name": "x", "category": "industry"}
    r = await api.post("/api/v1/townships/Da%20Cheng/enterprises", json=body, headers=bearer("county_admin"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "township"]


async def test_the_township_registry_is_seeded_listed_to_any_token_and_edited_by_the_county_admin_only(api):
    seeded = [{"township": "dacheng", "name": "大程镇", "county": "示范县", "recorded_by": None, "recorded_at": None},
              {"township": "xiyang", "name": "西阳镇", "county": "示范县", "recorded_by": None, "recorded_at": None}]
    for token in ("dacheng_clerk", "dacheng_viewer", "xiyang_clerk", "county_viewer", "county_leader"):
        r = await api.get("/api/v1/townships", headers=bearer(token))
        assert r.status_code == 200 and r.json() == seeded, (token, r.text)
    assert (await api.get("/api/v1/townships")).status_code == 401
    assert (await api.get("/api/v1/townships", headers={"Authorization": "Bearer wrong"})).status_code == 401

    assert (await api.get(T, headers=bearer("dacheng_viewer"))).json() == seeded[0]
    assert (await api.get(T, headers=bearer("xiyang_clerk"))).status_code == 403
    assert (await api.get(T)).status_code == 401
    unknown = await api.get("/api/v1/townships/nosuchtown", headers=bearer("county_viewer"))
    assert unknown.status_code == 404 and unknown.json()["unknown"] == {"township": ["nosuchtown"]}

    renamed = {"name": "大程镇（新）", "county": "示范县"}
    for token in ("dacheng_clerk", "dacheng_viewer", "county_viewer", "xiyang_clerk"):
        r = await api.put(T, json=renamed, headers=bearer(token))
        assert r.status_code == 403 and r.json() == {"detail": "this token may not do that here"}, (token, r.text)
    assert (await api.put(T, json=renamed)).status_code == 401
    assert (await api.get(T, headers=bearer("dacheng_viewer"))).json() == seeded[0]  # refused: nothing changed

    admin = bearer("county_admin")
    r = await api.put(T, json=renamed, headers=admin)
    by = {"recorded_by": "县营商办管理员", "recorded_at": r.json()["recorded_at"]}  # who renamed it, and when
    assert r.status_code == 200 and r.json() == {"township": "dacheng", **renamed, **by} and by["recorded_at"]
    r = await api.put("/api/v1/townships/aaa-new", json={"name": "新镇", "county": "示范县"}, headers=admin)
    assert r.status_code == 200 and {k: v for k, v in r.json().items() if k != "recorded_at"} == {
        "township": "aaa-new", "name": "新镇", "county": "示范县", "recorded_by": "县营商办管理员"}
    listed = (await api.get("/api/v1/townships", headers=bearer("xiyang_clerk"))).json()
    assert [t["township"] for t in listed] == ["aaa-new", "dacheng", "xiyang"] and listed[1] == {"township": "dacheng", **renamed, **by}

    for bad, field in [({"name": "", "county": "示范县"}, "name"), ({"name": "镇" * 101, "county": "示范县"}, "name"),
                       ({"name": "新镇"}, "county"), ({"name": "新镇", "county": "示范县", "code": 1}, "code"),
                       ({"name": 7, "county": "示范县"}, "name")]:
        r = await api.put("/api/v1/townships/aaa-new", json=bad, headers=admin)
        assert r.status_code == 422 and field in {e["loc"][-1] for e in r.json()["detail"]}, (bad, r.text)
    r = await api.put("/api/v1/townships/Da%20Cheng", json=renamed, headers=admin)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "township"]


async def test_the_seed_never_puts_an_edited_name_back(api):
    admin = bearer("county_admin")
    assert (await api.put("/api/v1/townships/xiyang", json={"name": "西阳", "county": "示范县"}, headers=admin)).status_code == 200
    async with replica(create_app):  # another replica starting on the same database seeds again
        pass
    assert (await api.get("/api/v1/townships/xiyang", headers=admin)).json()["name"] == "西阳"
    assert len((await api.get("/api/v1/townships", headers=admin)).json()) == 2

