"""The issue ledger's own filters, the history read in Chinese, the actions that fit, and the issue refusals."""
from __future__ import annotations

from console.pages.issues import actions_for, body_of, ordered, pick, refused, step, timeline
from console.upstream import ServiceError

ISSUES = [
    {"issue_id": "a", "status": "open", "level": "blue", "deadline": "2026-03-20", "category": "labour", "responsible_unit": "县人社局"},
    {"issue_id": "b", "status": "open", "level": "red", "deadline": "2026-03-25", "category": "land", "responsible_unit": None},
    {"issue_id": "c", "status": "closed", "level": "none", "deadline": "2026-03-01", "closed_on": "2026-03-05", "category": "labour", "responsible_unit": "镇规划所"},
    {"issue_id": "d", "status": "closed", "level": "none", "deadline": "2026-03-01", "closed_on": "2026-03-09", "category": "land", "responsible_unit": "县人社局"},
]


def ids(issues):
    return [i["issue_id"] for i in issues]


def test_the_ledger_filters_by_part_of_a_unit_by_unassigned_and_by_category():
    assert ids(pick(ISSUES, unit="人社")) == ["a", "d"]
    assert ids(pick(ISSUES, unit="未交办")) == ["b"]
    assert ids(pick(ISSUES, category="land")) == ["b", "d"]
    assert ids(pick(ISSUES, unit=" 县人社局 ", category="labour")) == ["a"]


def test_the_most_urgent_open_issues_come_first_then_the_latest_closed():
    assert ids(ordered(ISSUES)) == ["b", "a", "d", "c"]


def test_each_history_entry_reads_in_chinese():
    said = timeline([
        {"at": "2026-03-02T09:00:00+08:00", "action": "raised", "by": "intake:visit", "deadline": "2026-03-16", "provisional": True},
        {"at": "2026-03-03T10:30:00+08:00", "action": "assigned", "by": "大程镇企业办", "responsible_unit": "县人社局",
         "previous_unit": "镇规划所", "reason": "按职责转办", "assigned_on": "2026-03-03"},
        {"at": "2026-03-20T01:00:00+08:00", "action": "escalated", "by": "supervision", "level": "red", "previous_level": "yellow",
         "on": "2026-03-20", "overdue_working_days": 6},
        {"at": "2026-03-21T09:00:00+08:00", "action": "closed", "by": "大程镇企业办", "closed_on": "2026-03-21", "outcome": "resolved",
         "resolution": "已补齐", "satisfaction": "basically_satisfied", "level": "none"},
        {"at": "2026-03-25T09:00:00+08:00", "action": "reopened", "by": "大程镇企业办", "reason": "企业不满意", "deadline": "2026-04-08"},
        {"at": "2026-03-26T09:00:00+08:00", "action": "deadline_changed", "by": "大程镇企业办", "previous": "2026-04-08",
         "deadline": "2026-04-30", "provisional": False, "reason": "需县里协调"},
    ])
    assert [s["title"] for s in said] == ["提出", "交办", "督办升级", "办结", "重新办理", "延期"]
    assert said[0]["lines"] == ["办理时限：2026-03-16（暂定）"] and said[0]["by"] == "走访登记（自动）"
    assert said[0]["at"] == "2026-03-02 09:00"
    assert said[1]["lines"] == ["交办给：县人社局（原责任单位：镇规划所）", "原因：按职责转办", "交办日期：2026-03-03"]
    assert "督办等级：红色（严重超期）" in said[2]["lines"] and "已超期 6 个工作日" in said[2]["lines"]
    assert said[2]["by"] == "督办（系统）"
    assert said[3]["lines"] == ["办结日期：2026-03-21", "办理结果：已解决", "办理情况：已补齐", "企业满意度：基本满意"]
    assert said[4]["lines"] == ["原因：企业不满意", "新的办理时限：2026-04-08"]
    assert said[5]["lines"] == ["办理时限：2026-04-08 → 2026-04-30", "原因：需县里协调"]


def test_a_recount_and_an_unknown_action_still_read_plainly():
    recount = step({"action": "deadline_changed", "by": "calendar", "previous": "2026-10-09", "deadline": "2026-10-14",
                    "reason": "holiday schedule 2026 loaded: deadline recounted in working days"})
    assert recount["title"] == "时限重算" and "原因：载入节假日安排后按工作日重新计算" in recount["lines"]
    other = step({"action": "merged", "by": "x", "responsible_unit": "县住建局", "note": None})
    assert other["title"] == "其他变更（merged）" and other["lines"] == ["责任单位：县住建局"]


def test_only_the_actions_that_fit_the_status():
    assert actions_for({"status": "open"}) == ["assign", "co-handling", "progress", "extension-requests", "close", "extend"]
    assert actions_for({"status": "closed"}) == ["follow-up", "reopen"]


def test_blank_optional_fields_are_left_to_the_service_and_blanks_are_trimmed():
    form = {"csrf": "x", "idem": "k", "township": "dacheng", "responsible_unit": " 县人社局 ", "reason": "", "assigned_on": ""}
    assert body_of("assign", form) == {"responsible_unit": "县人社局", "reason": ""}
    close = {"closed_on": "2026-03-10", "outcome": "resolved", "resolution": "  ", "satisfaction": ""}
    assert body_of("close", close) == {"closed_on": "2026-03-10", "outcome": "resolved", "resolution": ""}
    assert body_of("reopen", {"reopened_on": "2026-03-12", "reason": "不满意", "deadline": ""}) == \
        {"reopened_on": "2026-03-12", "reason": "不满意"}
    assert body_of("extend", {"deadline": "2026-04-30", "reason": "协调中"}) == {"deadline": "2026-04-30", "reason": "协调中"}


def err(status, body):
    return ServiceError(status, body, "issues")


def test_the_issue_refusals_name_the_field_and_the_state_in_chinese():
    p = refused(err(422, {"detail": [{"loc": ["body", "closed_on"], "msg": "closed_on: is before the issue was raised (2026-03-02)"},
                                     {"loc": ["body", "resolution"], "msg": "String should have at least 1 character"}]}))
    assert p.fields == {"closed_on": "不能早于问题提出日期（2026-03-02）", "resolution": "不能为空"}
    assert "办结日期：不能早于问题提出日期（2026-03-02）" in p.message and "办理情况：不能为空" in p.message
    late = refused(err(422, {"detail": [{"loc": ["body", "deadline"], "msg": "an extension must be later than the current deadline 2026-03-16"}]}))
    assert late.fields == {"deadline": "延期后的时限须晚于当前时限（2026-03-16）"}
    assert "已经办结" in refused(err(409, {"detail": "issue i-1 is already closed (on 2026-03-10)"})).message
    assert "仍在办理中" in refused(err(409, {"detail": "issue i-1 is open; only a closed issue can be reopened"})).message
    assert "他人" in refused(err(409, {"detail": "the issue is being changed by someone else; try again"})).message
