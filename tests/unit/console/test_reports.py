"""The 统计报表 and 设置 screens' pure helpers: period names and choices, percentages, the ranking's reason, the charts,
and the Chinese of the settings' refusals."""
from __future__ import annotations

from datetime import date

import pytest

from console.messages import explain
from console.pages.reports import (bulletin_title, category_chart, current_quarter, pct, period_choices, period_name,
                                   quick_periods, rates_chart, townships_chart, unranked_reason)
from console.pages.settings import calendar_problem, json_problem, schedule_message, with_ranges
from console.upstream import ServiceError


def test_periods_read_as_chinese_and_bad_ones_are_refused():
    assert period_name("2026-Q1") == "2026年第一季度"
    assert period_name("2026-03") == "2026年3月"
    assert period_name("2026-H2") == "2026年下半年"
    assert period_name("2026") == "2026年度"
    for bad in ("2026-Q5", "2026-13", "0000", "2026-q1", ""):
        with pytest.raises(ValueError):
            period_name(bad)
    assert bulletin_title("大程镇", "2026-Q1") == "大程镇2026年第一季度遍访企业工作通报"


def test_the_picker_defaults_to_this_quarter_and_offers_the_last_ones():
    today = date(2026, 1, 15)
    assert current_quarter(today) == "2026-Q1"
    groups = period_choices(today)
    assert [p for p, _ in groups["季度"][:3]] == ["2026-Q1", "2025-Q4", "2025-Q3"]
    assert [p for p, _ in groups["月份"][:2]] == ["2026-01", "2025-12"]
    assert [p for p, _ in groups["半年"][:2]] == ["2026-H1", "2025-H2"]
    assert "其他" in period_choices(today, "2019-Q2")
    assert quick_periods(today)[:2] == [("2026-Q1", "本季度"), ("2025-Q4", "上季度")]


def test_rates_are_percentages_and_an_unknown_rate_a_dash():
    assert pct(0.8214285714) == "82.1%"
    assert pct(1.0) == "100%"
    assert pct(0) == "0%"
    assert pct(None) == "—"


def test_an_unranked_township_says_why_in_chinese():
    why = unranked_reason("needs at least 5 enterprises and 3 issues closed in the period (has 1 and 0)")
    assert why == "样本不足，暂不排名：需纳入企业不少于5家且本期办结问题不少于3件（现有企业1家、本期办结0件）"
    assert unranked_reason("something else") == "样本不足，暂不排名"


def test_charts_are_echarts_options_with_chinese_names():
    by = {"policy": {"raised": 1, "closed": 0, "open_at_end": 1}, "labour": {"raised": 2, "closed": 1, "open_at_end": 1}}
    option = category_chart(by)
    assert option["xAxis"]["data"] == ["用工", "政策兑现"]  # the contract's order, not the alphabet's
    assert [s["name"] for s in option["series"]] == ["新增", "办结", "期末未办结"]
    assert option["series"][0]["data"] == [2, 1]
    rates = rates_chart({"coverage_rate": 0.5, "on_time_rate": None, "satisfaction_rate": 1.0})
    assert [d["value"] for d in rates["series"][0]["data"]] == [100.0, None, 50.0]  # drawn bottom-up
    towns = townships_chart([{"township": "dacheng", "coverage_rate": 1.0, "on_time_rate": 0.8214, "satisfaction_rate": None}],
                            {"dacheng": "大程镇"})
    assert towns["xAxis"]["data"] == ["大程镇"] and [s["data"] for s in towns["series"]] == [[100.0], [82.1], [None]]


def _refusal(loc, msg, service="visits"):
    return ServiceError(422, {"detail": [{"loc": loc, "msg": msg, "type": "value_error"}]}, service)


def test_a_setting_out_of_range_names_its_range():
    p = with_ranges(explain(_refusal(["body", "quiet_period_days"], "Input should be less than or equal to 365")))
    assert p.fields == {"quiet_period_days": "应为0到365之间的整数（天）"}
    assert p.message == "填写的内容有误：免扰期：应为0到365之间的整数（天）。"
    p = with_ranges(explain(_refusal(["body", "sla_working_days.labour"], "must be between 1 and 250 working days", "issues")))
    assert p.fields == {"sla_working_days.labour": "应为1到250之间的整数（工作日）"} and "用工办理时限" in p.message


def test_a_holiday_schedule_refusal_names_the_item():
    assert schedule_message("holidays[2]: 2027-02-30 is not a date") == "放假（holidays）第3项：“2027-02-30”不是有效日期（格式 YYYY-MM-DD）"
    assert schedule_message("workdays[0]: 2027-03-01 is not a weekend day").startswith("调休上班（workdays）第1项：2027-03-01 不是周末")
    assert schedule_message("source: must name the notice, e.g. 国办发明电〔2025〕7号").startswith("通知文号（source）：请填写")
    assert schedule_message("colour: unknown field (expected year, source, holidays, workdays)") == \
        "colour：是不认识的项（只能有 year、source、holidays、workdays 四项）"
    p = calendar_problem(_refusal(["body", "year"], "the body is the schedule of 2027, not 2028", "issues"))
    assert p.fields == {"year": "内容是2027年的安排，与选择的2028年不一致"}
    p = calendar_problem(_refusal(["body", "schedule"], "holidays[0]: range 2027-02-13/2027-02-05 ends before it starts", "issues"))
    assert "结束日期早于开始日期" in p.fields["schedule"]
    value, problem = json_problem('{"year": 2027,}')
    assert value is None and "不是有效的 JSON：第1行" in problem.fields["schedule"]
    assert json_problem('{"year": 2027}') == ({"year": 2027}, None)
