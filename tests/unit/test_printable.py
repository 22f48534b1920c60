"""Text typed by people or sent by other systems may hold characters XML cannot carry: the documents and tables drop
them instead of failing (found by the tenancy and schemathesis runs: a unit named with a control character)."""
from __future__ import annotations

import io

from docx import Document
from openpyxl import load_workbook

from reporting import evaluation, exports
from reporting.printable import printable

BAD = "大程镇\x00人社所\x1b\ufffe\ud800"


def test_printable_keeps_what_xml_can_carry_and_drops_the_rest():
    assert printable(BAD) == "大程镇人社所"
    assert printable("行一\n行二\t制表\r") == "行一\n行二\t制表\r"
    assert printable(3) == 3 and printable(None) is None


def test_a_table_with_a_control_character_still_writes_as_xlsx_and_csv():
    rows = [{"township": BAD, "period": "2026-Q1"}]
    book = load_workbook(io.BytesIO(exports.table(rows, exports.BULLETIN_COLUMNS[:2], "xlsx", "通报")))
    assert [c.value for c in next(book.active.iter_rows(min_row=2))] == ["大程镇人社所", "2026-Q1"]
    assert "2026-Q1" in exports.table(rows, exports.BULLETIN_COLUMNS[:2], "csv", "通报").decode("utf-8-sig", "replace")


def test_an_evaluation_naming_a_unit_with_a_control_character_still_writes_its_documents():
    row = {"rank": 1, "score": 80.0, "grade": "良好", "unit_id": "u1", "name": BAD, "closed": 1, "on_time_rate": 1.0,
           "resolution_rate": 1.0, "satisfaction_rate": None, "received": 1, "closed_on_time": 1, "resolved": 1,
           "satisfied": 0}
    ev = {"scope": "county", "year": "2026", "published_at": "2027-01-05T09:00:00+08:00", "published_by": "管理员\x07",
          "position": [], "hash": "ab" * 32, "weights": {"coverage": 1, "on_time": 1, "resolution": 1, "satisfaction": 1,
                                                           "attainment": 1},
          "scorecards": {"townships": [], "units": [row], "officials": []}}
    text = "\n".join(c.text for t in Document(io.BytesIO(evaluation.docx(ev))).tables for r in t.rows for c in r.cells)
    assert "大程镇人社所" in text
    assert load_workbook(io.BytesIO(evaluation.xlsx(ev)))["责任单位"].max_row == 2
