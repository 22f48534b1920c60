"""企业名录's pure parts: search, the 统一社会信用代码 explained, the importer's reasons in Chinese, the template."""
from __future__ import annotations

import re

import pytest

from console.pages.enterprises import (by_rank, file_reason, history, import_report, matching, register_body,
                                       row_reason, template_csv, uscc_problem)
from contracts import uscc
from demo.uscc import make
from visits.importing import ImportFileError, read_enterprises

GOOD = make("enterprises-unit")
WRONG_CHECK = GOOD[:17] + next(c for c in uscc.CHARSET if c != GOOD[17])


def test_search_by_name_or_code_part_any_case_and_by_category():
    es = [{"enterprise_id": GOOD, "name": "三原华阳机械制造有限公司", "category": "industry"},
          {"enterprise_id": make("other"), "name": "大程农资商贸", "category": "trade"}]
    assert [e["name"] for e in matching(es, "华阳")] == ["三原华阳机械制造有限公司"]
    assert matching(es, GOOD[-6:].lower()) == es[:1]
    assert matching(es, " " + GOOD[8:12] + " ") == es[:1]
    assert matching(es, category="trade") == es[1:]
    assert matching(es, "华阳", "trade") == []
    assert matching(es) == es


def test_a_code_is_explained_in_the_contract_s_order():
    assert uscc_problem(GOOD) is None
    assert uscc_problem(GOOD.lower()[:9] + " " + GOOD[9:]) is None  # typed in lower case, with a space
    assert uscc_problem(GOOD[:17]) == "应为18位，现在是17位"
    assert "不使用 I、O、Z、S、V" in uscc_problem(GOOD[:10] + "O" + GOOD[11:])
    why = uscc_problem(WRONG_CHECK)
    assert why == f"校验位不正确：按前17位计算，第18位应为“{GOOD[17]}”，现在是“{WRONG_CHECK[17]}”"
    inner = GOOD[:16] + next(c for c in "0123456789" if c != GOOD[16])
    inner += uscc.check_character(inner)
    assert "第17位" in uscc_problem(inner)


def _reasons(csv_text: str) -> list[str]:
    return [e.reason for e in read_enterprises("名录.csv", csv_text.encode("utf-8")).errors]


def test_every_row_reason_of_the_importer_reads_in_chinese():
    head = "统一社会信用代码,企业名称,企业类别,纳入日期\n"
    rows = [f"{GOOD[:17]},短码,工业,", f"{GOOD[:10]}O{GOOD[11:]},坏字,工业,", f"91AB{GOOD[4:]},区划,工业,",
            f"{WRONG_CHECK},校验,工业,", f"{GOOD},{'长' * 201},工业,", f"{make('c')},类别,农业,",
            f"{make('d')},日期,工业,昨天", f"{make('e')},日期,工业,2026-02-30", f"{GOOD},重复,工业,", f",,工业,"]
    reasons = _reasons(head + "\n".join(rows) + "\n")
    chinese = [row_reason(r) for r in reasons]
    assert "填写有误" not in chinese, list(zip(reasons, chinese))
    assert not any(re.search(r"[a-z]{4,}", c) for c in chinese), chinese
    assert row_reason(reasons[3]) == f"校验位（第18位）是“{WRONG_CHECK[17]}”，按前17位计算应为“{GOOD[17]}”"
    assert row_reason("duplicate of row 2") == "与第2行的统一社会信用代码重复"
    assert row_reason("unknown official: 张三, 李四").startswith("本镇干部名单中没有：张三, 李四")
    assert row_reason("not a valid Unified Social Credit Code: must be 18 characters, got 15 (the cell holds a number, "
                      "which Excel cuts to 15 digits; format the column as text)").endswith("设为文本格式）")


@pytest.mark.parametrize("name, content", [
    ("名录.xls", b"x"), ("名录.csv", b""), ("名录.csv", "统一社会信用代码,企业名称,企业类别\n".encode()),
    ("名录.csv", "企业名称,类别\n某公司,工业\n".encode()), ("名录.csv", "名称,企业名称,信用代码,类别\n".encode()),
    ("名录.xlsx", b"not a workbook"), ("名录.csv", b"\xff\xfe\x00bad"),
])
def test_every_file_reason_of_the_importer_reads_in_chinese(name, content):
    with pytest.raises(ImportFileError) as refused:
        read_enterprises(name, content)
    assert file_reason(str(refused.value)) != "文件无法导入", str(refused.value)


def test_the_template_is_what_the_importer_reads():
    filled = template_csv() + f"{GOOD},三原华阳机械,规上工业,2026-03-05,先进制造工业园,张三、李四\r\n".encode()
    result = read_enterprises("企业名录导入模板.csv", filled)
    assert result.errors == [] and result.rows[0].category == "industry"
    assert result.rows[0].assigned_official_ids == ("张三", "李四") and result.rows[0].park == "先进制造工业园"


def test_the_import_report_counts_bad_rows_once_and_strips_the_field_name():
    report = {"rows": 3, "imported": [GOOD], "already_registered": ["x"], "errors": [
        {"row": 3, "column": "统一社会信用代码", "reason": "duplicate of row 2"},
        {"row": 3, "column": "包抓领导 (assigned_official_ids)", "reason": "unknown official: 王五"}]}
    shown = import_report(report, True)
    assert shown["bad_rows"] == 1 and shown["skipped"] == 2 and shown["imported"] == [GOOD]
    assert [e["column"] for e in shown["errors"]] == ["统一社会信用代码", "包抓领导"]
    assert import_report(report, False)["skipped"] == 3


def test_assignment_history_names_the_official_and_marks_the_open_ones():
    e = {"assignments": [{"official_id": "b", "start": "2026-02-01", "end": None},
                         {"official_id": "a", "start": "2026-01-01", "end": "2026-01-31"}]}
    rows = history(e, {"a": "王建国"})
    assert [(r["name"], r["open"]) for r in rows] == [("王建国", False), ("b", True)]


def test_the_register_body_keeps_blanks_out_and_leaders_as_a_list():
    body = register_body({"enterprise_id": " " + GOOD.lower() + " ", "name": " 某公司 ", "category": "industry",
                          "registered_on": "", "park": "", "assigned_official_ids": ["a", "b"]})
    assert body == {"enterprise_id": GOOD, "name": "某公司", "category": "industry", "registered_on": None, "park": None,
                    "assigned_official_ids": ["a", "b"]}
    assert register_body({"assigned_official_ids": "a"})["assigned_official_ids"] == ["a"]


def test_leaders_are_grouped_county_first():
    groups = by_rank([{"official_id": "t", "rank": "township"}, {"official_id": "c", "rank": "county"}])
    assert [rank for rank, _ in groups] == ["county", "township"]
