"""接触次数: the contact count per enterprise and month from events, in any order and however often delivered, the
county's ranking and the warning a planner gets over budget (pure: visits/contacts.py)."""
from __future__ import annotations

import itertools
from datetime import date, datetime, timezone
from types import SimpleNamespace

from contracts.envelope import new_event
from contracts.events import EnterpriseRegistered, IssueRaised, Official, VisitLogged
from visits import contacts

E1, E2 = "91330782MA2ABCD13A", "91110000600037341L"
LI = Official(official_id="c-li", name="李县长", rank="county")
AT = datetime(2026, 3, 1, 9, tzinfo=timezone.utc)


def ev(payload, township="dacheng"):
    return new_event(payload, township=township, source=f"/townships/{township}/visits", time=AT)


def visited(vid, on, eid=E1, township="dacheng", plan_id=None):
    payload = VisitLogged(visit_id=vid, enterprise_id=eid, visited_on=date.fromisoformat(on), channel="in_person",
                          kind="routine", visitors=[LI], services=[], summary="", demands=[])
    e = ev(payload, township)
    if plan_id:  # VisitLogged.plan_id is 15a's extension: the projection reads it where present
        e = SimpleNamespace(type="VisitLogged", township=township, data=SimpleNamespace(**{**vars(payload), "plan_id": plan_id}))
    return e


def planned(plan_id, on, eid=E1, township="dacheng"):  # VisitPlanned (15a), as its attributes are read
    return SimpleNamespace(type="VisitPlanned", township=township, data=SimpleNamespace(
        plan_id=plan_id, enterprise_id=eid, planned_on=date.fromisoformat(on), lead=LI))


def cancelled(plan_id, eid=E1, township="dacheng"):
    return SimpleNamespace(type="VisitPlanCancelled", township=township, data=SimpleNamespace(plan_id=plan_id, enterprise_id=eid))


def raised(iid, on, source, eid=E1, township="dacheng"):
    return ev(IssueRaised(issue_id=iid, enterprise_id=eid, source=source, visit_id=None, category="labour",
                          description="缺工", responsible_unit=None, raised_on=date.fromisoformat(on),
                          deadline=date.fromisoformat(on)), township)


def applied(events) -> dict[str, dict]:
    """The writes applied as the store does ($set by dotted path, $addToSet), upserting by `_id`."""
    docs: dict[str, dict] = {}
    for e in events:
        u = contacts.update_for(e)
        if u is None:
            continue
        doc = docs.setdefault(u._filter["_id"], {"_id": u._filter["_id"]})
        for path, value in u._doc["$set"].items():
            *parents, last = path.split(".")
            target = doc
            for p in parents:
                target = target.setdefault(p, {})
            target[last] = value
        for path, value in u._doc.get("$addToSet", {}).items():
            if value not in doc.setdefault(path, []):
                doc[path].append(value)
    return docs


STREAM = [
    ev(EnterpriseRegistered(enterprise_id=E1, name="机械厂", category="industry", registered_on=date(2026, 1, 5))),
    visited("v-1", "2026-03-02"),
    visited("v-2", "2026-03-20", township="xiyang"),  # the same enterprise on Xiyang's list: one county-wide count
    visited("v-3", "2026-04-01"),  # another month
    planned("p-1", "2026-03-25"),
    planned("p-2", "2026-03-27"), cancelled("p-2"),  # cancelled: no contact
    planned("p-3", "2026-03-10"), visited("v-4", "2026-03-11", plan_id="p-3"),  # done: counted once, as the visit
    raised("i-1", "2026-03-05", "hotline"), raised("i-2", "2026-03-06", "platform"),
    raised("i-3", "2026-03-07", "visit"),  # from a visit: the visit is the contact
    visited("v-9", "2026-03-03", eid=E2),
]


def test_every_contact_of_the_month_counts_once_county_wide():
    c = contacts.count(applied(STREAM)[E1], "2026-03")
    assert (c.name, c.visits, c.planned, c.demands, c.contacts) == ("机械厂", 3, 1, 2, 6)
    assert c.townships == ["dacheng", "xiyang"]
    assert [p["plan_id"] for p in c.open_plans] == ["p-1"]
    assert contacts.count(applied(STREAM)[E1], "2026-04").contacts == 1


def test_the_count_does_not_depend_on_order_or_redelivery():
    want = applied(STREAM)
    for order in itertools.islice(itertools.permutations(range(len(STREAM))), 0, 5000, 97):
        events = [STREAM[i] for i in order] + STREAM[:3]
        got = applied(events)
        for eid in (E1, E2):
            assert contacts.count(got[eid], "2026-03") == contacts.count(want[eid], "2026-03")


def test_the_county_view_ranks_the_most_contacted_first_and_leaves_out_those_without_contacts():
    ranked = contacts.ranked(applied(STREAM).values(), "2026-03")
    assert [(c.enterprise_id, c.contacts) for c in ranked] == [(E1, 6), (E2, 1)]
    assert contacts.ranked(applied(STREAM).values(), "2026-05") == []
    assert ranked[0].shown(4)["over_budget"] and not ranked[1].shown(4)["over_budget"]


def test_a_plan_over_budget_is_warned_and_told_to_join_the_nearest_planned_visit():
    c = contacts.count(applied(STREAM)[E1], "2026-03")
    w = contacts.warning(c, 6, date(2026, 3, 24))  # 6 so far, the new plan makes 7 > 6
    assert (w["code"], w["contacts"], w["budget"], w["month"]) == ("contact_budget", 7, 6, "2026-03")
    assert w["join"] == [{"plan_id": "p-1", "on": "2026-03-25", "township": "dacheng", "lead": "李县长"}]
    assert "join the visit planned on 2026-03-25 with 李县长" in w["message"] and "接触预算" in w["message"]
    assert contacts.warning(c, 7, date(2026, 3, 24)) is None  # 7 is within a budget of 7
    assert contacts.warning(c, 6, date(2026, 3, 25), plan_id="p-1") is None  # a retry of p-1 is not one more


def test_only_contacts_are_projected():
    assert contacts.update_for(raised("i-9", "2026-03-01", "leader")) is None
    assert contacts.update_for(SimpleNamespace(type="IssueClosed", township="t", data=SimpleNamespace(enterprise_id=E1))) is None


async def test_a_plan_for_an_enterprise_over_the_budget_is_answered_with_the_warning_and_who_planned_it(seeded, clock):
    from tests.unit.visits.conftest import T, TODAY
    from visits import handlers
    from visits.requests import PlanIn

    seeded.contacts_docs = applied(STREAM)  # E1: 6 contacts in 2026-03, p-1 planned on 03-25
    seeded.contact_budget = 6
    body = PlanIn(enterprise_id=E1, planned_on=TODAY.replace(day=24), lead_id="c-li", purpose="回访")
    shown = await handlers.plan_visit(seeded, T, body, None, clock=clock, by="大程镇企业办")
    [warning] = shown["warnings"]
    assert (warning["code"], warning["contacts"], warning["budget"]) == ("contact_budget", 7, 6)
    assert [p["plan_id"] for p in warning["join"]] == ["p-1"]
    history = (await handlers.enterprise(seeded, T, E1, TODAY))["history"]
    assert (history[-1]["action"], history[-1]["by"], history[-1]["plan_id"]) == ("planned", "大程镇企业办", shown["plan_id"])
    seeded.contact_budget = 7
    later = PlanIn(enterprise_id=E1, planned_on=TODAY.replace(day=30), lead_id="t-hao", override_reason="另一事项")
    assert (await handlers.plan_visit(seeded, T, later, None, clock=clock))["warnings"] == []
