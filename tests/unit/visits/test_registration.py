"""Registering officials and enterprises, and importing a platform export: every rule, on the fake repository."""
from __future__ import annotations

from datetime import date

import pytest

from buildingblocks.errors import Conflict, Invalid, NotFound
from contracts.events import EnterpriseRegistered
from tests.unit.visits.conftest import E1, E2, T, TODAY, enterprise, official
from visits import handlers


async def test_an_official_is_registered_and_shown_without_its_request_hash(repo):
    shown = await handlers.register_official(repo, T, official(unit="县政府"), None, by="大程镇营商办")
    assert {k: v for k, v in shown.items() if k != "recorded_at"} == {
        "township": T, "official_id": "c-li", "name": "李县长", "rank": "county", "unit": "县政府",
        "recorded_by": "大程镇营商办", "idempotency_key": None}
    assert [o["official_id"] for o in await repo.list_officials(T)] == ["c-li"]


async def test_an_official_registered_twice_without_a_key_is_a_conflict_naming_the_first(repo):
    await handlers.register_official(repo, T, official(), None)
    with pytest.raises(Conflict) as refused:
        await handlers.register_official(repo, T, official(name="另一人"), None)
    assert str(refused.value) == "official c-li already exists"
    assert refused.value.detail["existing"]["name"] == "李县长"


async def test_a_retried_official_gets_the_first_result_and_a_reused_key_with_another_body_is_a_conflict(repo):
    first = await handlers.register_official(repo, T, official(), "o-1")
    assert await handlers.register_official(repo, T, official(), "o-1") == first
    with pytest.raises(Conflict, match="Idempotency-Key was already used for a different request"):
        await handlers.register_official(repo, T, official(name="改了名"), "o-1")
    with pytest.raises(Conflict, match="already exists"):  # another key for the same official is no retry
        await handlers.register_official(repo, T, official(), "o-2")


async def test_an_enterprise_is_registered_with_its_officials_assigned_and_published(repo, clock):
    for oid, name in [("c-li", "李县长"), ("t-hao", "郝书记")]:
        await handlers.register_official(repo, T, official(oid, name), None)
    shown = await handlers.register_enterprise(repo, T, enterprise(E1, "c-li", "t-hao", park="园区"), None, clock=clock,
                                               by="大程镇营商办")
    at = clock.now().isoformat()
    assert shown == {
        "township": T, "enterprise_id": E1, "name": "企业D13A", "category": "industry", "registered_on": "2026-01-05",
        "park": "园区", "assignments": [{"official_id": "c-li", "start": "2026-01-05", "end": None},
                                      {"official_id": "t-hao", "start": "2026-01-05", "end": None}],
        "status": "active", "status_on": "2026-01-05", "recorded_by": "大程镇营商办", "recorded_at": at,
        "history": [{"action": "registered", "by": "大程镇营商办", "at": at, "registered_on": "2026-01-05"}],
        "idempotency_key": None,
    }
    [(township, event, at)] = repo.published
    assert township == T and at == clock.now()
    assert isinstance(event, EnterpriseRegistered) and event.registered_on == date(2026, 1, 5)
    assert [(o.official_id, o.name, o.rank.value) for o in event.assigned_officials] == [("c-li", "李县长", "county"),
                                                                                          ("t-hao", "郝书记", "county")]


async def test_an_enterprise_without_a_registration_date_is_registered_today_on_the_clock(repo, clock):
    await handlers.register_official(repo, T, official(), None)
    shown = await handlers.register_enterprise(repo, T, enterprise(registered_on=None), None, clock=clock)
    assert shown["registered_on"] == TODAY.isoformat() and shown["assignments"][0]["start"] == TODAY.isoformat()


async def test_an_enterprise_naming_unknown_officials_is_404_naming_them_and_nothing_is_stored(repo, clock):
    await handlers.register_official(repo, T, official(), None)
    with pytest.raises(NotFound) as unknown:
        await handlers.register_enterprise(repo, T, enterprise(E1, "c-li", "nobody", "ghost"), None, clock=clock)
    assert (unknown.value.what, unknown.value.ids) == ("official", ["nobody", "ghost"])
    assert await repo.enterprise(T, E1) is None and repo.published == []


async def test_an_enterprise_registered_twice_is_a_conflict_and_a_retry_gets_the_first_result(repo, clock):
    await handlers.register_official(repo, T, official(), None)
    first = await handlers.register_enterprise(repo, T, enterprise(), "e-1", clock=clock)
    assert await handlers.register_enterprise(repo, T, enterprise(), "e-1", clock=clock) == first
    with pytest.raises(Conflict, match="Idempotency-Key was already used for a different request"):
        await handlers.register_enterprise(repo, T, enterprise(name="别的名字"), "e-1", clock=clock)
    with pytest.raises(Conflict) as again:
        await handlers.register_enterprise(repo, T, enterprise(name="x"), None, clock=clock)
    assert str(again.value) == f"enterprise {E1} already exists" and again.value.detail["existing"]["name"] == "企业D13A"
    assert len(repo.published) == 1  # registered, and published, once


CSV = "统一社会信用代码,企业名称,企业类别,纳入日期,包抓领导\n"


def export(*rows: str) -> bytes:
    return (CSV + "".join(f"{row}\n" for row in rows)).encode("utf-8")


async def test_an_import_registers_each_row_resolving_leaders_by_name_or_id(repo, clock):
    await handlers.register_official(repo, T, official(), None)
    await handlers.register_official(repo, T, official("t-hao", "郝书记", "township"), None)
    ok, report = await handlers.import_enterprises(
        repo, T, "export.csv", export(f"{E1},甲企业,规上工业,2026-01-05,李县长、t-hao", f"{E2},乙企业,建筑业,,"), False, clock=clock
    )
    assert ok and report == {"rows": 2, "errors": [], "imported": [E1, E2], "already_registered": []}
    first, second = await repo.enterprise(T, E1), await repo.enterprise(T, E2)
    assert first.assigned_on(TODAY) == ["c-li", "t-hao"]
    assert second.registered_on == TODAY and second.assignments == []  # no date: registered today, on the clock


async def test_an_import_with_a_bad_row_imports_nothing_unless_good_rows_only(repo, clock):
    await handlers.register_official(repo, T, official(), None)
    rows = export(f"{E1},甲企业,规上工业,2026-01-05,李县长", f"{E2},乙企业,建筑业,2026-01-05,王五")
    ok, report = await handlers.import_enterprises(repo, T, "export.csv", rows, False, clock=clock)
    assert not ok and report["imported"] == [] and await repo.enterprise(T, E1) is None
    assert report["errors"] == [{"row": 3, "column": "包抓领导 (assigned_official_ids)", "reason": "unknown official: 王五"}]
    ok, report = await handlers.import_enterprises(repo, T, "export.csv", rows, True, clock=clock)
    assert ok and report["imported"] == [E1] and len(report["errors"]) == 1


async def test_a_second_import_of_the_same_file_changes_nothing(repo, clock):
    await handlers.register_official(repo, T, official(), None)
    rows = export(f"{E1},甲企业,规上工业,2026-01-05,李县长")
    await handlers.import_enterprises(repo, T, "export.csv", rows, False, clock=clock)
    ok, report = await handlers.import_enterprises(repo, T, "export.csv", rows, False, clock=clock)
    assert ok and report["imported"] == [] and report["already_registered"] == [E1]
    assert len(repo.published) == 1


async def test_an_unreadable_file_is_invalid_naming_the_file(repo, clock):
    with pytest.raises(Invalid) as bad:
        await handlers.import_enterprises(repo, T, "export.xls", b"whatever", False, clock=clock)
    assert bad.value.field == "file" and ".xls" in bad.value.message
