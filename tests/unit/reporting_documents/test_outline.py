"""The outline: what the documents say, as data — the frozen figures exactly as printed, 环比/同比, the 红黑榜."""
from __future__ import annotations

import copy
import json

import pytest

from reporting.documents.outline import change, local_date, not_ranked_reason, outline, period_label

from .conftest import county_bulletin_dict
from .expected import all_figures


def text_of(o: dict) -> str:
    return "\n".join(b["text"] for b in o["body"] if b["type"] in ("paragraph", "heading"))


def cells_of(o: dict) -> set[str]:
    return {cell for t in o["tables"] for row in t["rows"] for cell in row}


@pytest.mark.parametrize("which", ["county_bulletin", "township_bulletin", "old_bulletin", "old_township_bulletin"])
def test_every_figure_of_the_frozen_report_is_listed_as_printed_and_appears(which, request):
    bulletin = request.getfixturevalue(which)
    o = outline(bulletin)
    json.dumps(o)  # the console reads it as JSON
    listed = {tuple(f) for f in o["figures"]}
    text, cells = text_of(o), cells_of(o)
    for label, value in all_figures(bulletin):
        assert (label, value) in listed, (label, value)
    for label, value in o["figures"]:
        assert value in cells or value in text, (label, value)


def test_the_head_and_the_footer(county_bulletin):
    o = outline(county_bulletin)
    assert o["issuer"] == "示范县遍访企业助企纾困工作领导小组办公室" and o["number"] == "〔2026〕3号"
    assert o["title"] == "关于2026年第一季度遍访企业助企纾困工作情况的通报" and o["scope_name"] == "示范县"
    assert o["date"] == "2026年4月2日"  # 17:30 UTC is 01:30 the next day in Asia/Shanghai
    assert o["footer"] == ("本通报数据冻结于事件日志位置visits.v1#0:1834、issues.v1#0:977，"
                           f"内容哈希 {county_bulletin['hash']}，可通过 GET /api/v1/bulletins/county/2026-Q1/verify 核验。")


def test_the_township_table_has_a_row_per_township_and_the_total(county_bulletin):
    o = outline(county_bulletin)
    table = next(t for t in o["tables"] if t["title"] == "各乡镇走访和问题办理情况")
    assert table["columns"] == ["乡镇", "纳入企业", "走访企业", "走访覆盖率", "走访次数", "县级领导参与走访", "新增问题",
                                "办结问题", "按时办结率", "解决率", "满意率"]
    names = county_bulletin["names"]["townships"]
    assert [r[0] for r in table["rows"]] == [names[t["township"]] for t in county_bulletin["report"]["townships"]] + ["全县合计"]
    dacheng = next(t for t in county_bulletin["report"]["townships"] if t["township"] == "dacheng")
    row = next(r for r in table["rows"] if r[0] == "大程镇")
    assert row[3] == f"{dacheng['coverage_rate'] * 100:.1f}%" and row[4] == str(dacheng["visits"])


def test_red_and_black_lists_and_the_not_ranked(county_bulletin):
    o = outline(county_bulletin)
    tables = {t["id"]: t for t in o["tables"]}
    ranking = county_bulletin["report"]["ranking"]
    names = county_bulletin["names"]["townships"]
    assert [r[1] for r in tables[o["honours"]["red"]]["rows"]] == [names[r["township"]] for r in ranking[:3]]
    assert [r[1] for r in tables[o["honours"]["black"]]["rows"]] == [names[r["township"]] for r in ranking[-3:]]
    assert o["honours"]["not_ranked"] == [{"township": "tiny", "name": "小营乡",
                                           "reason": "样本不足，需纳入企业不少于5家且本期办结问题不少于3件，现纳入3家、办结1件"}]
    assert "小营乡（样本不足" in text_of(o)


@pytest.mark.parametrize("ranked, black", [(2, 0), (3, 0), (4, 1), (5, 2), (6, 3), (7, 3)])
def test_the_black_list_needs_four_ranked_and_never_repeats_the_red(ranked, black):
    bulletin = county_bulletin_dict()
    bulletin["report"]["ranking"] = bulletin["report"]["ranking"][:ranked]
    o = outline(bulletin)
    tables = {t["id"]: t for t in o["tables"]}
    red = tables[o["honours"]["red"]]["rows"]
    assert len(red) == min(3, ranked)
    if black:
        rows = tables[o["honours"]["black"]]["rows"]
        assert len(rows) == black and not {r[1] for r in rows} & {r[1] for r in red}
    else:
        assert o["honours"]["black"] is None and f"仅{ranked}个（不足4个），不设黑榜" in o["honours"]["note"]


def test_no_ranking_no_lists():
    bulletin = county_bulletin_dict()
    bulletin["report"]["ranking"] = []
    o = outline(bulletin)
    assert o["honours"]["red"] is None and "不设红黑榜" in o["honours"]["note"]


def _township(previous: dict | None, last_year: dict | None, **now) -> dict:
    from .conftest import township_bulletin_dict

    b = township_bulletin_dict()
    b["report"].update(now)
    b["report"]["previous_period"] = None if previous is None else {**b["report"]["previous_period"], **previous}
    b["report"]["same_period_last_year"] = None if last_year is None else {**b["report"]["previous_period"], "period": "2025-Q1",
                                                                            **last_year}
    return b


def test_a_rise_and_a_fall_against_the_other_periods():
    b = _township({"coverage_rate": 0.6171, "visits": 50, "satisfaction_rate": 0.7, "mean_working_days_to_close": 6.5},
                  {"coverage_rate": 0.7, "visits": 30, "satisfaction_rate": 0.6},
                  coverage_rate=0.65, visits=41, satisfaction_rate=0.7, mean_working_days_to_close=5.75)
    text = text_of(outline(b))
    assert "走访覆盖率65.0%，环比提高3.3个百分点、同比降低5.0个百分点。" in text
    assert "累计走访企业41次，环比减少9次、同比增加11次" in text
    assert "满意率70.0%，环比持平、同比提高10.0个百分点。" in text
    assert "平均办结用时5.8个工作日，环比缩短0.7个工作日" in text  # 5.8 against 6.5, as printed


def test_missing_data_is_said_so():
    # the quarter before had no enterprises (its rates are null); the same quarter a year earlier does not exist
    b = _township({"coverage_rate": None, "visits": 0}, None, coverage_rate=0.65, visits=41)
    text = text_of(outline(b))
    assert "走访覆盖率65.0%，环比无可比数据。" in text
    assert "环比增加41次" in text
    assert "本期同比无可比数据。" in text and "同比无" not in text.replace("本期同比无可比数据。", "")
    # and a figure that is itself unknown now
    b = _township({"satisfaction_rate": 0.8}, {"satisfaction_rate": 0.9}, satisfaction_rate=None)
    assert "本期办结问题暂无企业满意度评价，环比无可比数据、同比无可比数据。" in text_of(outline(b))


def test_an_old_bulletin_says_no_comparison_and_falls_back_on_ids(old_bulletin, old_township_bulletin):
    o = outline(old_bulletin)
    assert o["number"] == "（未编号）" and o["issuer"] == "遍访企业助企纾困工作领导小组办公室" and o["scope_name"] == "全县"
    assert "环比" not in text_of(o) and "同比" not in text_of(o)
    assert {r[0] for r in o["tables"][1]["rows"]} >= {"dacheng", "xinzhai", "liulin"}
    o = outline(old_township_bulletin)
    assert o["issuer"] == "liulin遍访企业助企纾困工作领导小组" and o["period_label"] == "2026年3月"
    assert o["date"] == "2026年4月1日"  # 09:00 without a zone: UTC, 17:00 in Asia/Shanghai


def test_changes_are_taken_from_the_printed_values():
    assert change("coverage_rate", 0.83349, 0.80149) == "提高3.2个百分点"  # 83.3% − 80.1%
    assert change("on_time_rate", 0.5, 0.55) == "降低5.0个百分点"
    assert change("visits", 3, 3) == "持平" and change("visits", 3, 5) == "减少2次"
    assert change("enterprises_visited", 7, 2) == "增加5家" and change("coverage_rate", None, 0.5) == "无可比数据"


@pytest.mark.parametrize("text, label", [("2026-Q1", "2026年第一季度"), ("2026-Q4", "2026年第四季度"), ("2026-03", "2026年3月"),
                                         ("2026-H1", "2026年上半年"), ("2026-H2", "2026年下半年"), ("2026", "2026年度")])
def test_period_labels(text, label):
    assert period_label(text) == label


def test_dates_and_reasons():
    assert local_date("2026-04-01T16:00:00+00:00") == "2026年4月2日" and local_date("2026-04-01T15:59:59Z") == "2026年4月1日"
    assert not_ranked_reason("something else") == "something else"


def test_names_given_are_printed_not_ids(county_bulletin):
    b = copy.deepcopy(county_bulletin)
    b["names"]["units"]["u-fin"] = "县地方金融监管局"
    o = outline(b)
    units = next(t for t in o["tables"] if t["title"] == "责任单位办理情况")
    assert [r[0] for r in units["rows"]] == ["县发改局", "县地方金融监管局", "县人社局", "市供电公司"]
