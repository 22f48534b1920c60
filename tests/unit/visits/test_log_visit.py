"""Logging a visit: who and what must be known, the day (on the injected clock), the disturbance guard with its
joint and override exceptions, retries with an Idempotency-Key, concurrent reservations and the recovery of a
visit reserved by a request that died before storing it."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from buildingblocks.errors import Conflict, Invalid, NotFound
from contracts.events import VisitLogged
from tests.unit.visits.conftest import E1, E2, T, TODAY, visit
from visits import handlers
from visits.requests import DemandIn

DAY = timedelta(days=1)


async def test_a_visit_is_stored_with_its_lead_first_its_demands_numbered_and_published(seeded, clock):
    await seeded.set_quiet_days(T, 0)
    body = visit(TODAY - 3 * DAY, "t-hao", "c-li", demands=[
        DemandIn(category="labour", description="缺焊工"), DemandIn(category="policy", description="补贴", resolved_on_spot=True)])
    shown = await handlers.log_visit(seeded, T, body, None, clock=clock)
    vid = shown["visit_id"]
    assert [o["official_id"] for o in shown["visitors"]] == ["t-hao", "c-li"]
    assert [(d["demand_id"], d["category"], d["resolved_on_spot"]) for d in shown["demands"]] == [
        (f"{vid}-d1", "labour", False), (f"{vid}-d2", "policy", True)]
    assert shown["enterprise_name"] == "企业D13A" and shown["logged_at"] == clock.now().isoformat()
    assert "override_reason" not in shown and "request_hash" not in shown
    assert await handlers.log_visit(seeded, T, body.model_copy(), None, clock=clock) != shown  # no key: a new visit
    [(township, event, at), _] = seeded.published
    assert township == T and isinstance(event, VisitLogged) and event.visit_id == vid and at == clock.now()
    assert await seeded.visit_shown(T, vid) == shown


async def test_an_unknown_enterprise_or_visitor_is_404_naming_it(seeded, clock):
    with pytest.raises(NotFound) as unknown:
        await handlers.log_visit(seeded, T, visit(TODAY, enterprise_id=E2), None, clock=clock)
    assert (unknown.value.what, unknown.value.ids) == ("enterprise", [E2])
    with pytest.raises(NotFound) as unknown:
        await handlers.log_visit(seeded, T, visit(TODAY, "c-li", "nobody"), None, clock=clock)
    assert (unknown.value.what, unknown.value.ids) == ("official", ["nobody"])
    assert seeded.published == []


async def test_a_visit_in_the_future_is_refused_on_the_injected_clock(seeded, clock):
    tomorrow = visit(TODAY + DAY)
    with pytest.raises(Invalid) as bad:
        await handlers.log_visit(seeded, T, tomorrow, None, clock=clock)
    assert (bad.value.field, bad.value.message) == ("visited_on", f"a visit cannot be in the future (today is {TODAY})")
    clock.advance(days=1)  # the next day it is today
    assert (await handlers.log_visit(seeded, T, tomorrow, None, clock=clock))["visited_on"] == (TODAY + DAY).isoformat()


async def test_a_routine_visit_in_the_quiet_period_is_refused_naming_the_last_visit_and_the_first_allowed_day(seeded, clock):
    first = await handlers.log_visit(seeded, T, visit(TODAY - 3 * DAY, "c-li", "t-hao"), None, clock=clock)
    with pytest.raises(Conflict) as refused:
        await handlers.log_visit(seeded, T, visit(TODAY, "k-zhao"), None, clock=clock)
    assert refused.value.detail == {
        "last_visit": {"visit_id": first["visit_id"], "visited_on": (TODAY - 3 * DAY).isoformat(), "by": "李县长"},
        "routine_visit_allowed_from": (TODAY + 11 * DAY).isoformat(),
    }
    assert "李县长" in str(refused.value) and "override_reason" in str(refused.value)
    with pytest.raises(Conflict):  # a visit logged late is judged against the later ones too
        await handlers.log_visit(seeded, T, visit(TODAY - 10 * DAY, "k-zhao"), None, clock=clock)
    with pytest.raises(Conflict):  # a blank reason is none
        await handlers.log_visit(seeded, T, visit(TODAY, "k-zhao", override_reason="  "), None, clock=clock)
    assert len(seeded.published) == 1


async def test_a_joint_visit_and_a_visit_with_an_override_reason_pass_the_guard(seeded, clock):
    await handlers.log_visit(seeded, T, visit(TODAY - 3 * DAY), None, clock=clock)
    joint = await handlers.log_visit(seeded, T, visit(TODAY, "k-zhao", "c-li", kind="joint"), None, clock=clock)
    assert joint["kind"] == "joint"
    override = await handlers.log_visit(seeded, T, visit(TODAY, "k-zhao", override_reason="企业紧急求助：停电"), None, clock=clock)
    assert override["override_reason"] == "企业紧急求助：停电"
    assert seeded.published[-1][1].override_reason == "企业紧急求助：停电"  # published with it


async def test_the_quiet_period_is_the_townships_setting(seeded, clock):
    await seeded.set_quiet_days(T, 2)
    await handlers.log_visit(seeded, T, visit(TODAY - 2 * DAY), None, clock=clock)
    await handlers.log_visit(seeded, T, visit(TODAY), None, clock=clock)
    with pytest.raises(Conflict):
        await handlers.log_visit(seeded, T, visit(TODAY - DAY), None, clock=clock)


async def test_a_retry_with_the_same_key_returns_the_first_visit_and_another_body_with_it_is_a_conflict(seeded, clock):
    first = await handlers.log_visit(seeded, T, visit(TODAY), "phone-retry-1", clock=clock)
    clock.advance(minutes=5)
    assert await handlers.log_visit(seeded, T, visit(TODAY), "phone-retry-1", clock=clock) == first  # never the guard
    with pytest.raises(Conflict, match="Idempotency-Key was already used for a different request"):
        await handlers.log_visit(seeded, T, visit(TODAY, summary="different"), "phone-retry-1", clock=clock)
    assert len(await seeded.visits(T)) == 1 and len(seeded.published) == 1


async def test_the_same_key_in_another_township_is_another_visit(seeded, clock):
    first = await handlers.log_visit(seeded, T, visit(TODAY), "k", clock=clock)
    assert handlers.visit_id_for(T, "k") == first["visit_id"] != handlers.visit_id_for("xiyang", "k")


class Killed(Exception):
    """The process died between the reservation and the insert."""


async def die_storing(*args, **kwargs):
    raise Killed()


async def test_a_visit_reserved_by_a_request_that_died_is_completed_by_its_retry(seeded, clock, monkeypatch):
    store = seeded.store_reserved
    monkeypatch.setattr(seeded, "store_reserved", die_storing)
    with pytest.raises(Killed):
        await handlers.log_visit(seeded, T, visit(TODAY), "died-once", clock=clock)
    [vid] = seeded.pending(T, E1)
    assert await seeded.visit(T, vid) is None and seeded.published == []  # reserved, not stored nor published
    monkeypatch.setattr(seeded, "store_reserved", store)
    with pytest.raises(Conflict, match="Idempotency-Key"):  # even a reserved visit is no answer to another body
        await handlers.log_visit(seeded, T, visit(TODAY, summary="other"), "died-once", clock=clock)
    retried = await handlers.log_visit(seeded, T, visit(TODAY), "died-once", clock=clock)
    assert retried["visit_id"] == vid and seeded.pending(T, E1) == []
    assert [e.visit_id for _, e, _ in seeded.published] == [vid]


async def test_a_reserved_visit_counts_for_the_guard_and_is_stored_by_the_next_visit_once_stale(seeded, clock, monkeypatch):
    store = seeded.store_reserved
    monkeypatch.setattr(seeded, "store_reserved", die_storing)
    with pytest.raises(Killed):
        await handlers.log_visit(seeded, T, visit(TODAY - 5 * DAY), "died-for-good", clock=clock)
    monkeypatch.setattr(seeded, "store_reserved", store)
    [vid] = seeded.pending(T, E1)
    with pytest.raises(Conflict) as refused:  # the guard knows it already
        await handlers.log_visit(seeded, T, visit(TODAY, "t-hao"), None, clock=clock)
    assert refused.value.detail["last_visit"]["visit_id"] == vid
    assert seeded.pending(T, E1) == [vid]  # not stale yet: its request may still be storing it
    clock.advance(seconds=handlers.RECOVER_AFTER_S + 1)
    await handlers.log_visit(seeded, T, visit(TODAY, "t-hao", "k-zhao", kind="joint"), None, clock=clock)
    assert seeded.pending(T, E1) == [] and await seeded.visit(T, vid) is not None


async def test_the_recovery_pass_stores_what_dead_requests_reserved_once_they_are_stale(seeded, clock, monkeypatch):
    store = seeded.store_reserved
    monkeypatch.setattr(seeded, "store_reserved", die_storing)
    with pytest.raises(Killed):
        await handlers.log_visit(seeded, T, visit(TODAY), None, clock=clock)
    monkeypatch.setattr(seeded, "store_reserved", store)
    assert await handlers.recover_reserved(seeded, clock=clock) == 0  # too young: its request may be storing it
    clock.advance(seconds=handlers.RECOVER_AFTER_S + 1)
    assert await handlers.recover_reserved(seeded, clock=clock) == 1
    assert await handlers.recover_reserved(seeded, older_than_s=0, clock=clock) == 0
    assert seeded.pending(T, E1) == [] and len(await seeded.visits(T)) == 1 and len(seeded.published) == 1


async def test_of_concurrent_conflicting_routine_visits_exactly_one_is_accepted(seeded, clock):
    results = await asyncio.gather(
        *[handlers.log_visit(seeded, T, visit(TODAY - (i % 3) * DAY, "k-zhao"), None, clock=clock) for i in range(20)],
        return_exceptions=True,
    )
    accepted = [x for x in results if isinstance(x, dict)]
    refused = [x for x in results if isinstance(x, Conflict)]
    assert len(accepted) == 1 and len(refused) == 19
    assert {x.detail["last_visit"]["visit_id"] for x in refused} == {accepted[0]["visit_id"]}
    assert (await seeded.enterprise(T, E1)).has_logged(accepted[0]["visit_id"])


async def test_concurrent_visits_that_do_not_conflict_are_all_logged(seeded, clock):
    bodies = [visit(TODAY - i * DAY, "c-li", "k-zhao", kind="joint") for i in range(8)]
    results = await asyncio.gather(*[handlers.log_visit(seeded, T, b, None, clock=clock) for b in bodies])
    assert len({v["visit_id"] for v in results}) == 8
    assert len((await seeded.enterprise(T, E1)).visit_log) == 8 and len(seeded.published) == 8


async def test_a_twin_request_with_the_same_key_returns_the_visit_its_twin_logged(seeded, clock):
    one, two = await asyncio.gather(*[handlers.log_visit(seeded, T, visit(TODAY), "twin", clock=clock) for _ in range(2)])
    assert one == two and len(await seeded.visits(T)) == 1


async def test_a_visit_that_never_gets_its_turn_is_a_conflict(seeded, clock, monkeypatch):
    async def always_beaten(*args):
        return False

    monkeypatch.setattr(seeded, "add_visit", always_beaten)
    monkeypatch.setattr(handlers, "RESERVE_ATTEMPTS", 3)
    with pytest.raises(Conflict, match="being changed by someone else"):
        await handlers.log_visit(seeded, T, visit(TODAY), None, clock=clock)
