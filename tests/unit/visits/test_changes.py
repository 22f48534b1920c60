"""Who did what, and editing an enterprise (name, park, status with its day): every rule, on the fake repository."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from buildingblocks.errors import Invalid, NotFound
from contracts.enums import EnterpriseStatus
from contracts.events import EnterpriseChanged
from tests.unit.visits.conftest import E1, T, TODAY, visit
from visits import handlers
from visits.requests import AnswerIn, AssignmentIn, CampaignIn, EnterpriseChange, PlanIn

CLERK = "大程镇营商办"


def change(**body) -> EnterpriseChange:
    return EnterpriseChange.model_validate(body)


async def test_every_write_names_its_author_and_time_in_the_document_and_the_history(seeded, clock):
    at = clock.now().isoformat()
    await handlers.assign(seeded, T, E1, AssignmentIn(official_id="t-hao"), clock=clock, by=CLERK)
    await handlers.end_assignment(seeded, T, E1, "t-hao", TODAY, clock=clock, by="郝书记")
    shown = await handlers.change_enterprise(seeded, T, E1, change(park="大程工业园"), clock=clock, by="张三")
    assert (shown["recorded_by"], shown["recorded_at"]) == ("张三", at)
    assert [(h["action"], h["by"], h["at"]) for h in shown["history"]] == [
        ("registered", None, at), ("assigned", CLERK, at), ("assignment_ended", "郝书记", at), ("changed", "张三", at)]
    assert shown["history"][1] == {"action": "assigned", "by": CLERK, "at": at, "official_id": "t-hao",
                                   "start": TODAY.isoformat(), "end": None}
    logged = await handlers.log_visit(seeded, T, visit(TODAY), None, clock=clock, by="李县长")
    assert (logged["recorded_by"], logged["recorded_at"]) == ("李县长", at)
    await seeded.set_quiet_days(T, 10, CLERK, clock.now())
    assert (await seeded.settings(T))["history"] == [{"quiet_period_days": 10, "recorded_by": CLERK, "recorded_at": at}]


async def test_a_plan_and_a_campaign_name_who_made_each_change(seeded, clock):
    at, day = clock.now().isoformat(), TODAY + timedelta(days=7)
    body = PlanIn.model_validate({"enterprise_id": E1, "planned_on": day.isoformat(), "lead_id": "t-hao"})
    plan = await handlers.plan_visit(seeded, T, body, None, clock=clock, by=CLERK)
    assert (plan["recorded_by"], plan["recorded_at"]) == (CLERK, at)
    joined = await handlers.join_plan(seeded, T, plan["plan_id"], "c-li", clock=clock, by="李县长")
    assert joined["recorded_by"] == "李县长"
    clock.advance(days=7)
    logged = await handlers.log_visit(seeded, T, visit(day, "t-hao", plan_id=plan["plan_id"]), None, clock=clock, by="郝书记")
    done = await handlers.plan(seeded, T, plan["plan_id"])
    assert (done["status"], done["recorded_by"], done["recorded_at"]) == ("done", "郝书记", logged["recorded_at"])
    history = (await handlers.enterprise(seeded, T, E1, TODAY))["history"]
    assert [(h["action"], h["by"], h.get("plan_id")) for h in history[1:]] == [
        ("planned", CLERK, plan["plan_id"]), ("plan_joined", "李县长", plan["plan_id"])]

    later = (TODAY + timedelta(days=60)).isoformat()
    announced = await handlers.announce_campaign(seeded, T, CampaignIn.model_validate({
        "campaign_id": "c-q", "name": "企业走访日", "days": [later], "enterprise_ids": [E1], "invited_ids": ["c-li"],
        "host_id": "t-hao"}), None, clock=clock, by=CLERK)
    assert announced["recorded_by"] == CLERK
    answered = await handlers.answer_invitation(seeded, T, "c-q", AnswerIn(official_id="c-li", accepted=True),
                                                clock=clock, by="李县长")
    assert answered["recorded_by"] == "李县长"
    assert [(h["action"], h["by"]) for h in (await handlers.campaign(seeded, T, "c-q"))["history"]] == [
        ("announced", CLERK), ("answered", "李县长")]
    [made] = (await handlers.make_campaign_plans(seeded, T, "c-q", clock=clock, by=CLERK))["made"]
    assert made["recorded_by"] == CLERK and made["campaign_id"] == "c-q"
    assert (await handlers.enterprise(seeded, T, E1, TODAY))["history"][-1]["action"] == "planned"


async def test_a_status_change_keeps_the_history_and_publishes_the_enterprise_as_it_now_is(seeded, clock):
    shown = await handlers.change_enterprise(
        seeded, T, E1, change(status="moved_out", status_on="2026-02-28", name="新名称"), clock=clock, by=CLERK)
    assert (shown["status"], shown["status_on"], shown["name"]) == ("moved_out", "2026-02-28", "新名称")
    assert shown["history"][-1]["status"] == {"from": "active", "to": "moved_out"}
    assert shown["history"][-1]["status_on"] == {"from": "2026-01-05", "to": "2026-02-28"}
    [(township, event, at)] = seeded.published
    assert township == T and at == clock.now() and isinstance(event, EnterpriseChanged)
    assert (event.status, event.status_on, event.changed_on, event.name) == (
        EnterpriseStatus.moved_out, date(2026, 2, 28), TODAY, "新名称")
    again = await handlers.enterprise(seeded, T, E1, TODAY)
    assert again["status"] == "moved_out" and len(again["history"]) == 2


async def test_a_change_that_changes_nothing_writes_and_publishes_nothing(seeded, clock):
    shown = await handlers.change_enterprise(seeded, T, E1, change(status="active"), clock=clock, by=CLERK)
    assert len(shown["history"]) == 1 and seeded.published == []


async def test_the_park_is_cleared_by_null_and_kept_when_not_given(seeded, clock):
    await handlers.change_enterprise(seeded, T, E1, change(park="园区"), clock=clock)
    assert (await handlers.change_enterprise(seeded, T, E1, change(name="改名"), clock=clock))["park"] == "园区"
    assert (await handlers.change_enterprise(seeded, T, E1, change(park=None), clock=clock))["park"] is None


@pytest.mark.parametrize("status_on, why", [("2026-03-11", "in the future"), ("2026-01-04", "registered on 2026-01-05")])
async def test_a_status_day_in_the_future_or_before_registration_is_refused_naming_status_on(seeded, clock, status_on, why):
    with pytest.raises(Invalid) as refused:
        await handlers.change_enterprise(seeded, T, E1, change(status="deregistered", status_on=status_on), clock=clock)
    assert refused.value.field == "status_on" and why in refused.value.message


async def test_an_empty_patch_is_refused_naming_the_body_and_an_unknown_enterprise_is_a_404_first(seeded, clock):
    with pytest.raises(Invalid, match="at least one"):
        await handlers.change_enterprise(seeded, T, E1, change(), clock=clock)
    with pytest.raises(NotFound):
        await handlers.change_enterprise(seeded, T, "91110000600037341L", change(), clock=clock)


@pytest.mark.parametrize("body, field", [({"name": None}, "name"), ({"status": "closed"}, "status"),
                                         ({"status_on": "2026-03-01"}, "status_on"), ({"colour": "red"}, "colour")])
def test_a_bad_patch_body_is_refused_naming_the_field(body, field):
    with pytest.raises(ValidationError, match=field):
        EnterpriseChange.model_validate(body)
