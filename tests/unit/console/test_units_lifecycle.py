"""The units' screens without a server: the lifecycle read in Chinese, the steps each person is offered, the requests
sent, the refusals named, and the handler's queue, the per-unit table, the notices and the pending extensions."""
from __future__ import annotations

from types import SimpleNamespace

from console.pages.issues import actions_for, body_of, co_unit_problem, lifecycle_problem, timeline
from console.pages.mine import queue_rows
from console.pages.notices import notice_rows, pending_requests
from console.pages.reports import days, unit_rows
from console.pages.units import named, unit_body
from console.messages import explain
from console.upstream import ServiceError


def person(role: str, unit: str | None = None):
    return SimpleNamespace(principal=SimpleNamespace(role=SimpleNamespace(name=role), unit_id=unit))


UNITS = {"dacheng-rss": "大程镇人社所", "c-rsj": "县人社局", "c-zrzyj": "县自然资源局"}


def test_every_step_of_the_units_lifecycle_reads_in_chinese_with_unit_names():
    said = timeline([
        {"action": "assigned", "by": "大程镇企业办", "responsible_unit": "大程镇人社所", "unit_id": "dacheng-rss",
         "assigned_on": "2026-03-02", "reason": ""},
        {"action": "acknowledged", "by": "大程镇人社所", "unit_id": "dacheng-rss", "acknowledged_on": "2026-03-03",
         "working_days": 1, "on_time": True},
        {"action": "returned", "by": "大程镇人社所", "unit_id": "dacheng-rss", "reason": "属县级职责",
         "suggested_unit_id": "c-rsj", "returned_on": "2026-03-03"},
        {"action": "co_handling_set", "by": "大程镇企业办", "lead_unit_id": "c-rsj", "co_unit_ids": ["c-zrzyj"]},
        {"action": "progress_noted", "by": "县自然资源局", "unit_id": "c-zrzyj", "note": "用地手续已办", "part_done": True},
        {"action": "extension_requested", "by": "县人社局", "request_id": "x1", "requested_deadline": "2026-04-30",
         "reason": "需省厅批复"},
        {"action": "extension_decided", "by": "县督查室", "request_id": "x1", "approved": True, "reason": "同意"},
        {"action": "deadline_changed", "by": "县督查室", "previous": "2026-03-16", "deadline": "2026-04-30",
         "reason": "extension request x1 approved: 需省厅批复"},
        {"action": "followed_up", "by": "大程镇企业办", "satisfaction": "dissatisfied", "note": "仍缺工",
         "followed_up_on": "2026-05-06"},
        {"action": "reopened", "by": "大程镇企业办", "reason": "回访不满意: 仍缺工", "deadline": "2026-05-20"},
    ], UNITS)
    assert [s["title"] for s in said] == ["派发", "签收", "退回", "协办", "协办部分完成", "延期申请", "延期审批",
                                          "延期（已批准延期申请）", "回访", "重新办理"]
    assert "签收日期：2026-03-03" in said[1]["lines"] and "用时 1 个工作日" in said[1]["lines"]
    assert said[2]["lines"] == ["退回单位：大程镇人社所", "退回原因：属县级职责", "建议改派：县人社局"]
    assert said[3]["lines"] == ["协办单位：县自然资源局", "牵头单位：县人社局"]
    assert said[4]["lines"] == ["答复单位：县自然资源局", "答复内容：用地手续已办"]
    assert said[5]["lines"] == ["申请延期至：2026-04-30", "申请原因：需省厅批复"]
    assert said[6]["lines"] == ["审批结果：同意", "审批意见：同意"]
    assert said[7]["lines"] == ["办理时限：2026-03-16 → 2026-04-30", "申请原因：需省厅批复"]
    assert said[8]["lines"] == ["企业满意度：不满意", "回访日期：2026-05-06", "回访情况：仍缺工"]
    assert said[9]["lines"][0] == "原因：回访不满意：仍缺工"


def test_each_person_is_offered_only_the_steps_that_are_theirs():
    lead, co = person("handler", "c-rsj"), person("handler", "c-zrzyj")
    routed = {"status": "open", "unit_id": "c-rsj", "routing": "routed"}
    working = {"status": "open", "unit_id": "c-rsj", "routing": "acknowledged", "co_units": [{"unit_id": "c-zrzyj"}]}
    assert actions_for(routed, lead) == ["acknowledge", "return"]
    assert actions_for(working, lead) == ["progress", "extension-requests", "close", "return"]
    assert actions_for(working, co) == ["progress"]  # a co-unit answers its part, nothing more
    assert actions_for({**working, "routing": "returned"}, lead) == []
    assert actions_for({"status": "closed", "unit_id": "c-rsj"}, lead) == []  # 回访 is never the handler's
    assert "extend" not in actions_for(working, person("clerk"))
    assert actions_for(working, person("supervisor"))[-1] == "extend"
    assert actions_for({"status": "closed"}, person("clerk")) == ["follow-up", "reopen"]


def test_the_requests_carry_what_was_chosen_and_leave_blanks_to_the_service():
    assert body_of("assign", {"unit_id": "c-rsj", "responsible_unit": "", "reason": "按退回建议改派"}) == \
        {"unit_id": "c-rsj", "reason": "按退回建议改派"}
    assert body_of("acknowledge", {"acknowledged_on": ""}) == {}
    assert body_of("return", {"reason": " 不属本单位 ", "suggested_unit_id": ""}) == {"reason": "不属本单位"}
    assert body_of("co-handling", {"co_unit_ids[]": ["c-zrzyj", ""]}) == {"co_unit_ids": ["c-zrzyj"]}
    assert body_of("progress", {"note": "已对接", "part_done": "1"}) == {"note": "已对接", "part_done": True}
    assert body_of("extension-requests", {"deadline": "2026-04-30", "reason": "等批复"}) == \
        {"deadline": "2026-04-30", "reason": "等批复"}
    assert body_of("follow-up", {"satisfaction": "dissatisfied", "note": "", "followed_up_on": "2026-05-06"}) == \
        {"satisfaction": "dissatisfied", "note": "", "followed_up_on": "2026-05-06"}


def test_a_close_refused_for_a_missing_part_names_the_co_units():
    err = ServiceError(409, {"detail": "co-units c-zrzyj have not reported their part"}, "issues")
    assert co_unit_problem(err, UNITS).startswith("还有协办单位没有报告完成其部分：县自然资源局")
    assert "不能进行这项操作" in lifecycle_problem(ServiceError(403, {"detail": "x"}, "issues"), UNITS).message
    late = lifecycle_problem(ServiceError(422, {"detail": [{"loc": ["body", "note"], "msg": "Field required"}]}, "issues"), {})
    assert late.fields == {"note": "必填"} and "答复内容：必填" in late.message


def test_a_unit_form_is_checked_here_and_the_service_refusal_named_in_chinese():
    uid, body, fields = unit_body({"unit_id": "Da Cheng", "name": "", "kind": "x", "parent_id": "", "active": "1"})
    assert set(fields) == {"unit_id", "name", "kind"}
    uid, body, fields = unit_body({"unit_id": "dacheng-rss", "name": "大程镇人社所", "kind": "township_office",
                                   "head": "王所长", "contact": "", "parent_id": ""})
    assert not fields and body == {"name": "大程镇人社所", "kind": "township_office", "active": False, "head": "王所长"}
    refusal = named(explain(ServiceError(422, {"detail": [{"loc": ["body", "labour"], "msg": "unit c-x is not routable"}]},
                                         "issues")), "route.")
    assert "route.labour" in refusal.fields and "用工的默认单位" in refusal.message


def test_the_handler_queue_puts_what_waits_for_acknowledgement_first():
    rows = queue_rows([
        {"issue_id": "a", "status": "open", "routing": "acknowledged", "deadline": "2026-03-10", "unit_id": "c-rsj", "township": "dacheng"},
        {"issue_id": "b", "status": "open", "routing": "routed", "deadline": "2026-03-20", "unit_id": "c-rsj", "township": "dacheng"},
        {"issue_id": "c", "status": "open", "routing": "acknowledged", "deadline": "2026-03-05", "unit_id": "c-zrzyj"},
    ], "c-rsj", {"dacheng": "大程镇"}, "dacheng")
    assert [r["issue_id"] for r in rows] == ["b", "c", "a"]
    assert [r["part"] for r in rows] == ["牵头", "协办", "牵头"] and rows[1]["township_name"] == "大程镇"


def test_the_per_unit_table_works_out_its_rates_and_days_read_plainly():
    rows = unit_rows([{"unit_id": "c-rsj", "name": "县人社局", "received": 4, "acknowledged": 4, "acknowledged_on_time": 3,
                       "closed": 2, "closed_on_time": 1, "resolved": 1, "returned": 1, "followed_up": 0, "satisfied": 0},
                      {"unit_id": "x", "name": "其他", "received": 5, "acknowledged": 0, "acknowledged_on_time": 0,
                       "closed": 0, "closed_on_time": 0, "resolved": 0, "returned": 0, "followed_up": 0, "satisfied": 0}])
    assert [r["unit_id"] for r in rows] == ["x", "c-rsj"]
    assert rows[1]["ack_on_time_rate"] == 0.75 and rows[1]["resolution_rate"] == 0.5 and rows[1]["satisfied_rate"] is None
    assert days(None) == "—" and days(2.25) == "2.2" and days(3.0) == "3"


def test_notices_newest_first_with_the_short_number_and_pending_extensions_oldest_first():
    rows = notice_rows([{"notice_id": "1", "created_at": "2026-03-02T09:00:00+08:00", "number": "督〔2026〕7号", "township": "dacheng"},
                        {"notice_id": "2", "created_at": "2026-03-03T09:00:00+08:00", "number": None}], {"dacheng": "大程镇"})
    assert [r["notice_id"] for r in rows] == ["2", "1"] and rows[1]["doc_ref"] == "2026-7"
    assert rows[1]["township_name"] == "大程镇" and rows[1]["created"] == "2026-03-02 09:00"
    issues = [{"issue_id": "i1", "enterprise_id": "E", "extension_requests": [
        {"request_id": "r2", "status": "pending", "requested_on": "2026-03-05"},
        {"request_id": "r1", "status": "refused", "requested_on": "2026-03-01"}]},
        {"issue_id": "i2", "subject_name": "不动产登记流程", "extension_requests": [
            {"request_id": "r3", "status": "pending", "requested_on": "2026-03-04"}]}]
    found = pending_requests(issues, "dacheng", "大程镇", {"E": "某公司"})
    assert [r["request_id"] for r in found] == ["r3", "r2"] and [r["subject"] for r in found] == ["不动产登记流程", "某公司"]


def test_a_date_before_the_routing_is_named():
    p = lifecycle_problem(ServiceError(422, {"detail": [{"loc": ["body", "acknowledged_on"],
                                                          "msg": "Value error, is before the issue was routed (2026-03-04)"}]}, "issues"), {})
    assert p.fields == {"acknowledged_on": "不能早于派发日期（2026-03-04）"} and "签收日期：不能早于派发日期" in p.message
