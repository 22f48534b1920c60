"""The 走访登记 form rebuilt into the visits request, and the service's refusals put back on the form's fields."""
from __future__ import annotations

from console.pages.visits import demands_of, form_fields, guard_of, ledger_rows, matches, officials_for, typed, visit_body


def test_demand_rows_are_rebuilt_in_order_and_a_blank_row_is_no_demand():
    form = {"demands-2-category": "policy", "demands-2-description": "咨询政策", "demands-2-resolved_on_spot": "1",
            "demands-0-category": "labour", "demands-0-description": " 缺焊工 ",
            "demands-1-category": "", "demands-1-description": ""}
    assert demands_of(form) == [
        {"category": "labour", "description": "缺焊工", "resolved_on_spot": False},
        {"category": "policy", "description": "咨询政策", "resolved_on_spot": True},
    ]


def test_the_lead_goes_first_and_leading_means_going():
    assert typed({"visitor_ids": ["a", "b", "c"], "lead": "c"})["visitor_ids"] == ["c", "a", "b"]
    assert typed({"visitor_ids": ["a"], "lead": "b"})["visitor_ids"] == ["b", "a"]
    assert typed({"visitor_ids": "a"})["lead"] == "a"  # no lead chosen: the first ticked leads


def test_the_request_carries_an_override_reason_only_when_one_is_written():
    values = typed({"enterprise_id": "x", "visited_on": "2026-03-02", "visitor_ids": ["a"], "override_reason": "  "})
    assert "override_reason" not in visit_body(values)
    values["override_reason"] = "企业要求回访"
    assert visit_body(values)["override_reason"] == "企业要求回访"


def test_the_services_field_paths_become_the_forms_field_names():
    assert form_fields({"visited_on": "不能晚于今天", "demands.0.description": "不能为空", "visitor_ids.1": "x",
                        "services.0": "y"}) == {"visited_on": "不能晚于今天", "demands-0-description": "不能为空",
                                                 "visitor_ids": "x", "services": "y"}


def test_the_guards_refusal_names_the_last_visit():
    body = {"detail": "…", "last_visit": {"visit_id": "v-1", "visited_on": "2026-03-02", "by": "李俊杰"},
            "routine_visit_allowed_from": "2026-03-16"}
    assert guard_of(body) == {"on": "2026-03-02", "by": "李俊杰", "from": "2026-03-16"}
    assert guard_of({"detail": "this Idempotency-Key was already used"}) is None


def test_enterprises_match_by_name_or_code_and_assigned_leaders_come_first():
    es = [{"enterprise_id": "91610422737BG88M56", "name": "陕西清河纺织有限公司"},
          {"enterprise_id": "916104224BH204QW05", "name": "预制菜加工项目"}]
    assert [e["name"] for e in matches(es, "清河")] == ["陕西清河纺织有限公司"]
    assert [e["name"] for e in matches(es, "4bh2")] == ["预制菜加工项目"]
    assert matches(es, "  ") == []
    officials = [{"official_id": i} for i in ("a", "b", "c")]
    assigned, others = officials_for(officials, {"assigned_official_ids": ["c"]})
    assert [o["official_id"] for o in assigned] == ["c"] and [o["official_id"] for o in others] == ["a", "b"]


def test_the_ledger_filters_by_kind_and_name_newest_first():
    vs = [{"visited_on": "2026-03-01", "kind": "routine", "enterprise_name": "甲公司"},
          {"visited_on": "2026-03-05", "kind": "joint", "enterprise_name": "乙公司"},
          {"visited_on": "2026-03-09", "kind": "routine", "enterprise_name": "乙公司"}]
    assert [v["visited_on"] for v in ledger_rows(vs, "", "")] == ["2026-03-09", "2026-03-05", "2026-03-01"]
    assert [v["visited_on"] for v in ledger_rows(vs, "乙", "routine")] == ["2026-03-09"]


def test_the_phones_position_becomes_the_visits_check_in():
    base = {"enterprise_id": "x", "visited_on": "2026-03-02", "visitor_ids": ["a"]}
    values = typed({**base, "check_in_lat": "34.617100", "check_in_lng": " 108.940100 "})
    assert visit_body(values)["check_in"] == {"lat": 34.6171, "lng": 108.9401}
    assert "check_in" not in visit_body(typed(base))  # optional: no position, no check-in
    assert "check_in" not in visit_body(typed({**base, "check_in_lat": "north", "check_in_lng": "1"}))
