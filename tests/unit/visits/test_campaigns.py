"""企业走访日 campaigns on the in-memory repository: invitations accepted and declined, the plans made from the
campaign (who leads which enterprise), and planned against done per enterprise and per leader."""
from __future__ import annotations

from datetime import timedelta

import pytest

from buildingblocks.errors import Conflict, Invalid, NotFound
from contracts.events import CampaignAnnounced, CampaignInvitationAnswered, VisitPlanned
from tests.unit.visits.conftest import E1, E2, T, TODAY, enterprise, official, visit
from visits import handlers
from visits.requests import AnswerIn, CampaignIn

DAY = timedelta(days=1)
E3 = "91330782MA2ABCD215"
UNREGISTERED = "91330782MA2ABCD3XW"
D = TODAY + 7 * DAY


@pytest.fixture
async def county(seeded, clock):
    """c-li on E1; c-wang and c-zhang on E2; c-zhang alone on E3; t-hao hosts."""
    for oid, name in (("c-wang", "王副县长"), ("c-zhang", "张副县长")):
        await handlers.register_official(seeded, T, official(oid, name, "county"), None)
    await handlers.register_enterprise(seeded, T, enterprise(E2, "c-wang", "c-zhang"), None, clock=clock)
    await handlers.register_enterprise(seeded, T, enterprise(E3, "c-zhang"), None, clock=clock)
    seeded.published.clear()
    return seeded


def campaign(**extra) -> CampaignIn:
    return CampaignIn.model_validate({"campaign_id": "c-q1", "name": "一季度企业走访日", "days": [D.isoformat()],
                                      "enterprise_ids": [E1, E2, E3], "invited_ids": ["c-li", "c-wang", "c-zhang"],
                                      "host_id": "t-hao", **extra})


def answer(oid: str, accepted: bool, reason: str = "") -> AnswerIn:
    return AnswerIn(official_id=oid, accepted=accepted, reason=reason)


async def test_three_invited_one_declines_the_plans_and_planned_against_done(county, clock):
    shown = await handlers.announce_campaign(county, T, campaign(), None, clock=clock)
    assert [i["answer"] for i in shown["invitations"]] == ["pending"] * 3
    await handlers.answer_invitation(county, T, "c-q1", answer("c-li", True), clock=clock)
    await handlers.answer_invitation(county, T, "c-q1", answer("c-wang", True), clock=clock)
    declined = await handlers.answer_invitation(county, T, "c-q1", answer("c-zhang", False, "当日赴市开会"), clock=clock)
    assert [(i["official_id"], i["answer"]) for i in declined["invitations"]] == [
        ("c-li", "accepted"), ("c-wang", "accepted"), ("c-zhang", "declined")]
    made = await handlers.make_campaign_plans(county, T, "c-q1", clock=clock)
    leads = {p["enterprise_id"]: (p["lead"]["official_id"], [o["official_id"] for o in p["invited"]]) for p in made["made"]}
    assert leads == {E1: ("c-li", ["t-hao"]), E2: ("c-wang", ["t-hao"]), E3: ("t-hao", [])}
    assert {p["planned_on"] for p in made["made"]} == {D.isoformat()} and made["not_planned"] == []
    again = await handlers.make_campaign_plans(county, T, "c-q1", clock=clock)
    assert again["made"] == [] and len(again["already"]) == 3  # made again: none twice

    clock.advance(days=7)
    plan_of = {p["enterprise_id"]: p["plan_id"] for p in made["made"]}
    await handlers.log_visit(county, T, visit(D, "c-li", "t-hao", kind="visit_day", plan_id=plan_of[E1]), None, clock=clock)
    await handlers.log_visit(county, T, visit(D, "c-wang", kind="visit_day", enterprise_id=E2, plan_id=plan_of[E2]),
                             None, clock=clock)
    progress = await handlers.campaign_progress(county, T, "c-q1")
    assert [(r["enterprise_id"], r["status"]) for r in progress["enterprises"]] == [(E1, "done"), (E2, "done"), (E3, "planned")]
    assert [(l["official_id"], l["answer"], l["planned"], l["done"]) for l in progress["leaders"]] == [
        ("c-li", "accepted", 1, 1), ("c-wang", "accepted", 1, 1), ("c-zhang", "declined", 0, 0), ("t-hao", "host", 3, 1)]
    assert progress["totals"] == {"enterprises": 3, "planned": 3, "done": 2, "cancelled": 0}

    kinds = [type(e) for _, e, _ in county.published]
    assert kinds[:4] == [CampaignAnnounced, *[CampaignInvitationAnswered] * 3]
    assert kinds.count(VisitPlanned) == 3
    assert all(e.campaign_id == "c-q1" for _, e, _ in county.published if isinstance(e, VisitPlanned))


async def test_an_answer_must_come_from_the_invited_and_a_decline_needs_a_reason(county, clock):
    await handlers.announce_campaign(county, T, campaign(), None, clock=clock)
    with pytest.raises(Invalid) as bad:
        await handlers.answer_invitation(county, T, "c-q1", answer("k-zhao", True), clock=clock)
    assert bad.value.field == "official_id"
    with pytest.raises(Invalid) as bad:
        await handlers.answer_invitation(county, T, "c-q1", answer("c-li", False), clock=clock)
    assert bad.value.field == "reason"
    with pytest.raises(NotFound):
        await handlers.answer_invitation(county, T, "c-none", answer("c-li", True), clock=clock)
    county.published.clear()
    await handlers.answer_invitation(county, T, "c-q1", answer("c-li", True), clock=clock)
    await handlers.answer_invitation(county, T, "c-q1", answer("c-li", True), clock=clock)  # the same again
    assert len(county.published) == 1


async def test_a_campaign_in_the_past_or_of_unknown_enterprises_is_refused(county, clock):
    with pytest.raises(Invalid) as bad:
        await handlers.announce_campaign(county, T, campaign(days=[(TODAY - DAY).isoformat()]), None, clock=clock)
    assert bad.value.field == "days"
    with pytest.raises(NotFound) as unknown:
        await handlers.announce_campaign(county, T, campaign(enterprise_ids=[E1, UNREGISTERED]), None, clock=clock)
    assert (unknown.value.what, unknown.value.ids) == ("enterprise", [UNREGISTERED])
    await handlers.announce_campaign(county, T, campaign(), None, clock=clock)
    with pytest.raises(Conflict):
        await handlers.announce_campaign(county, T, campaign(name="另一个"), None, clock=clock)


async def test_an_enterprise_with_another_plan_close_to_the_day_is_left_out_with_the_join_offer(county, clock):
    from tests.unit.visits.test_plans import plan
    other = await handlers.plan_visit(county, T, plan(D - 2 * DAY, "k-zhao"), None, clock=clock)
    await handlers.announce_campaign(county, T, campaign(), None, clock=clock)
    made = await handlers.make_campaign_plans(county, T, "c-q1", clock=clock)
    assert [p["enterprise_id"] for p in made["made"]] == [E2, E3]
    [left] = made["not_planned"]
    assert left["enterprise_id"] == E1 and left["join"]["plan_id"] == other["plan_id"]
    progress = await handlers.campaign_progress(county, T, "c-q1")
    assert progress["enterprises"][0]["status"] == "not_planned"
