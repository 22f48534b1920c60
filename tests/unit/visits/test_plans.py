"""Planned visits on the in-memory repository: the guard looking forward (a plan or a routine visit within another
plan's quiet period is steered to join it), joining in one step, a visit completing its plan, cancelling with a
reason, the reads by official and day."""
from __future__ import annotations

from datetime import timedelta

import pytest

from buildingblocks.errors import Conflict, Invalid, NotFound
from contracts.events import VisitLogged, VisitPlanCancelled, VisitPlanJoined, VisitPlanned
from tests.unit.visits.conftest import E1, T, TODAY, visit
from visits import handlers
from visits.requests import PlanIn

DAY = timedelta(days=1)


def plan(on, lead="c-li", *invited, **extra) -> PlanIn:
    return PlanIn.model_validate({"enterprise_id": E1, "planned_on": on.isoformat(), "lead_id": lead,
                                  "invited_ids": list(invited), "purpose": "了解用工", **extra})


async def test_a_plan_is_stored_published_and_answered_with_its_warnings(seeded, clock):
    shown = await handlers.plan_visit(seeded, T, plan(TODAY + 5 * DAY, "c-li", "t-hao"), None, clock=clock)
    assert shown["status"] == "planned" and shown["warnings"] == [] and shown["enterprise_name"] == "企业D13A"
    assert [o["official_id"] for o in [shown["lead"], *shown["invited"]]] == ["c-li", "t-hao"]
    [(township, event, _)] = seeded.published
    assert township == T and isinstance(event, VisitPlanned) and event.plan_id == shown["plan_id"]
    assert event.planned_on == TODAY + 5 * DAY and event.campaign_id is None


async def test_a_plan_in_the_past_is_refused_naming_the_field(seeded, clock):
    with pytest.raises(Invalid) as bad:
        await handlers.plan_visit(seeded, T, plan(TODAY - DAY), None, clock=clock)
    assert bad.value.field == "planned_on"
    assert (await handlers.plan_visit(seeded, T, plan(TODAY), None, clock=clock))["planned_on"] == TODAY.isoformat()


async def test_a_plan_within_another_plans_quiet_period_is_steered_to_join_it_and_joins_in_one_step(seeded, clock):
    first = await handlers.plan_visit(seeded, T, plan(TODAY + 10 * DAY, "c-li"), None, clock=clock)
    for day in (TODAY + 3 * DAY, TODAY + 23 * DAY):  # before it and after it
        with pytest.raises(Conflict) as steered:
            await handlers.plan_visit(seeded, T, plan(day, "k-zhao"), None, clock=clock)
        assert steered.value.detail["join"] == {
            "plan_id": first["plan_id"], "planned_on": (TODAY + 10 * DAY).isoformat(),
            "lead": {"official_id": "c-li", "name": "李县长", "rank": "county"}}
        assert f"join the visit planned on {TODAY + 10 * DAY} with 李县长" in str(steered.value).lower()
        assert "请加入该次走访" in str(steered.value)
    joined = await handlers.join_plan(seeded, T, first["plan_id"], "k-zhao", clock=clock)
    assert [o["official_id"] for o in joined["joined"]] == ["k-zhao"]
    again = await handlers.join_plan(seeded, T, first["plan_id"], "k-zhao", clock=clock)
    assert again == joined  # joining twice changes nothing
    assert [type(e) for _, e, _ in seeded.published] == [VisitPlanned, VisitPlanJoined]
    later = await handlers.plan_visit(seeded, T, plan(TODAY + 24 * DAY, "k-zhao"), None, clock=clock)  # outside it
    assert later["status"] == "planned"


async def test_an_override_reason_lets_a_plan_through(seeded, clock):
    await handlers.plan_visit(seeded, T, plan(TODAY + 10 * DAY), None, clock=clock)
    shown = await handlers.plan_visit(seeded, T, plan(TODAY + 11 * DAY, "k-zhao", override_reason="安全检查，另行安排"), None, clock=clock)
    assert shown["status"] == "planned"


async def test_a_plan_close_to_a_past_visit_is_too_soon(seeded, clock):
    await handlers.log_visit(seeded, T, visit(TODAY - 2 * DAY), None, clock=clock)
    with pytest.raises(Conflict) as refused:
        await handlers.plan_visit(seeded, T, plan(TODAY + 3 * DAY, "k-zhao"), None, clock=clock)
    assert refused.value.detail["last_visit"]["by"] == "李县长"


async def test_a_routine_visit_within_a_plans_quiet_period_is_steered_to_join_it(seeded, clock):
    first = await handlers.plan_visit(seeded, T, plan(TODAY + 5 * DAY), None, clock=clock)
    with pytest.raises(Conflict) as steered:
        await handlers.log_visit(seeded, T, visit(TODAY, "k-zhao"), None, clock=clock)
    assert steered.value.detail["join"]["plan_id"] == first["plan_id"]
    joint = await handlers.log_visit(seeded, T, visit(TODAY, "k-zhao", "t-hao", kind="joint"), None, clock=clock)
    assert joint["kind"] == "joint"  # a joint visit passes, as it passes the guard looking back


async def test_a_visit_with_plan_id_completes_the_plan_and_says_so_in_its_event(seeded, clock):
    first = await handlers.plan_visit(seeded, T, plan(TODAY, "c-li", "t-hao"), None, clock=clock)
    done = await handlers.log_visit(seeded, T, visit(TODAY, "c-li", "t-hao", plan_id=first["plan_id"]), None, clock=clock)
    assert done["plan_id"] == first["plan_id"]
    shown = await handlers.plan(seeded, T, first["plan_id"])
    assert (shown["status"], shown["visit_id"], shown["visitor_ids"]) == ("done", done["visit_id"], ["c-li", "t-hao"])
    logged = seeded.published[-1][1]
    assert isinstance(logged, VisitLogged) and logged.plan_id == first["plan_id"]
    assert "plan_id" in logged.model_dump(mode="json")
    with pytest.raises(Conflict):  # done: it cannot be carried out again, joined or cancelled
        await handlers.join_plan(seeded, T, first["plan_id"], "k-zhao", clock=clock)
    with pytest.raises(Conflict):
        await handlers.cancel_plan(seeded, T, first["plan_id"], "改期", clock=clock)
    with pytest.raises(NotFound):
        await handlers.log_visit(seeded, T, visit(TODAY, "c-li", "t-hao", kind="joint", plan_id="p-none"), None, clock=clock)


async def test_a_visit_without_plan_id_leaves_the_plan_open_and_no_plan_id_is_published(seeded, clock):
    await seeded.set_quiet_days(T, 0)
    await handlers.plan_visit(seeded, T, plan(TODAY), None, clock=clock)
    await handlers.log_visit(seeded, T, visit(TODAY), None, clock=clock)
    assert "plan_id" not in seeded.published[-1][1].model_dump(mode="json")
    [shown] = await handlers.plans(seeded, T)
    assert shown["status"] == "planned"


async def test_a_cancelled_plan_needs_a_reason_and_frees_the_quiet_period(seeded, clock):
    first = await handlers.plan_visit(seeded, T, plan(TODAY + 5 * DAY), None, clock=clock)
    with pytest.raises(Invalid) as bad:
        await handlers.cancel_plan(seeded, T, first["plan_id"], "  ", clock=clock)
    assert bad.value.field == "reason"
    cancelled = await handlers.cancel_plan(seeded, T, first["plan_id"], "企业停产检修", clock=clock)
    assert (cancelled["status"], cancelled["reason"], cancelled["cancelled_on"]) == ("cancelled", "企业停产检修", TODAY.isoformat())
    event = seeded.published[-1][1]
    assert isinstance(event, VisitPlanCancelled) and event.reason == "企业停产检修"
    assert (await handlers.plan_visit(seeded, T, plan(TODAY + 6 * DAY, "k-zhao"), None, clock=clock))["status"] == "planned"
    with pytest.raises(NotFound):
        await handlers.cancel_plan(seeded, T, "p-none", "x", clock=clock)


async def test_plans_are_listed_by_day_for_the_officials_in_them(seeded, clock):
    a = await handlers.plan_visit(seeded, T, plan(TODAY + 20 * DAY, "c-li"), None, clock=clock)
    b = await handlers.plan_visit(seeded, T, plan(TODAY + 2 * DAY, "t-hao", "k-zhao"), None, clock=clock)
    assert [p["plan_id"] for p in await handlers.plans(seeded, T)] == [b["plan_id"], a["plan_id"]]
    assert [p["plan_id"] for p in await handlers.plans(seeded, T, official_id="k-zhao")] == [b["plan_id"]]
    await handlers.join_plan(seeded, T, a["plan_id"], "k-zhao", clock=clock)
    assert len(await handlers.plans(seeded, T, official_id="k-zhao")) == 2
    assert [p["plan_id"] for p in await handlers.plans(seeded, T, start=TODAY + 10 * DAY)] == [a["plan_id"]]
    assert await handlers.plans(seeded, "xiyang") == []


async def test_a_retry_with_the_same_key_gets_the_first_plan(seeded, clock):
    first = await handlers.plan_visit(seeded, T, plan(TODAY + 5 * DAY), "k1", clock=clock)
    assert await handlers.plan_visit(seeded, T, plan(TODAY + 5 * DAY), "k1", clock=clock) == first
    assert len(seeded.published) == 1


def test_the_lead_is_not_also_invited():
    with pytest.raises(ValueError, match="invited_ids"):
        plan(TODAY, "c-li", "c-li")
