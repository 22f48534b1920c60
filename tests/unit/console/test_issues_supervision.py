"""督办看板's pure parts: count rows most urgent first, the chart option, the level columns with names."""
from __future__ import annotations

from console.pages.supervision import chart_option, columns, provisional_by_township, tally_rows


def test_rows_name_the_unassigned_and_townships_and_put_the_most_urgent_first():
    rows = tally_rows({"(unassigned)": {"open": 3, "red": 0, "yellow": 1, "blue": 0},
                       "县人社局": {"open": 2, "red": 2, "yellow": 0, "blue": 0},
                       "xiyang": {}}, {"xiyang": "西阳镇"})
    assert [r["name"] for r in rows] == ["县人社局", "未交办", "西阳镇"]
    assert rows[2] == {"key": "xiyang", "name": "西阳镇", "open": 0, "red": 0, "yellow": 0, "blue": 0}


def test_the_chart_stacks_red_yellow_blue_with_the_most_urgent_row_on_top():
    option = chart_option([{"name": "大程镇", "open": 5, "red": 3, "yellow": 1, "blue": 1},
                           {"name": "西阳镇", "open": 0, "red": 0, "yellow": 0, "blue": 0}])
    assert option["yAxis"]["data"] == ["西阳镇", "大程镇"]
    assert [(s["name"], s["data"]) for s in option["series"]] == [("红色", [0, 3]), ("黄色", [0, 1]), ("蓝色", [0, 1])]
    assert all(s["stack"] == "level" for s in option["series"])


def test_columns_name_enterprises_and_townships_and_link_each_issue():
    board = {"by_level": {"red": [{"township": "dacheng", "issue_id": "i-1", "enterprise_id": "E1", "overdue_working_days": 3},
                                  {"township": "dacheng", "issue_id": "i-2", "enterprise_id": "E2", "overdue_working_days": 9}],
                          "yellow": [], "blue": []}}
    cols = columns(board, {"dacheng": {"E1": "甲公司"}}, {"dacheng": "大程镇"})
    assert [b["issue_id"] for b in cols["red"]] == ["i-2", "i-1"]
    assert cols["red"][1]["enterprise_name"] == "甲公司" and cols["red"][0]["enterprise_name"] == "E2"
    assert cols["red"][1]["township_name"] == "大程镇" and cols["red"][1]["link"] == "/issues/i-1?township=dacheng"
    township_board = {"by_level": {"blue": [{"issue_id": "i-3", "enterprise_id": "E3"}]}}
    assert columns(township_board, {}, {}, here="dacheng")["blue"][0]["link"] == "/issues/i-3?township=dacheng"


def test_provisional_deadlines_are_counted_per_township():
    assert provisional_by_township({"provisional_deadlines": [{"township": "dacheng", "issue_id": "a"},
                                                              {"township": "dacheng", "issue_id": "b"}]}) == {"dacheng": 2}
    assert provisional_by_township({"provisional_deadlines": ["a"]}, here="xiyang") == {"xiyang": 1}
