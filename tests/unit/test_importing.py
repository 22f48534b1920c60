"""Importing a township's enterprise list (大走访平台 export, .csv or .xlsx) into rows to register."""
from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date, datetime

import openpyxl
import pytest

from visits.importing import EnterpriseRow, ImportFileError, ImportResult, RowError, read_enterprises

# --- Valid USCCs, generated from domain-anchors §4 (independently of contracts.uscc) ---------
CS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
W = [pow(3, i, 31) for i in range(17)]
ORG_W = [3, 7, 9, 10, 5, 8, 4, 2]


def make_uscc(body: str, prefix: str = "91330782") -> str:
    """prefix = positions 1-8, body = positions 9-16; positions 17 and 18 are computed."""
    c = 11 - sum(int(ch, 36) * w for ch, w in zip(body, ORG_W)) % 11
    return with_check(prefix + body + {10: "X", 11: "0"}.get(c, str(c)))


def with_check(first17: str) -> str:
    return first17 + CS[(31 - sum(CS.index(ch) * w for ch, w in zip(first17, W)) % 31) % 31]


def code(i: int) -> str:
    return make_uscc(f"MA{i:06d}")


A = "91110000600037341L"
B = "91330782MA2ABCD13A"


def test_the_generator_reproduces_the_published_examples():
    assert make_uscc("60003734", "91110000") == A
    assert make_uscc("MA2ABCD1") == B
    assert len({code(i) for i in range(100)}) == 100


# --- Building files in memory ---------------------------------------------------------------
ZH = ["统一社会信用代码", "企业名称", "企业类别", "纳入日期", "所在园区", "包抓领导"]
EN = ["enterprise_id", "name", "category", "registered_on", "park", "assigned_official_ids"]


def csv_bytes(rows: list[list], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list], extra_sheets: dict[str, list[list]] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "企业名单"
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=r, column=c, value=value)
    for title, other in (extra_sheets or {}).items():
        extra = workbook.create_sheet(title)
        for row in other:
            extra.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def read_csv(rows: list[list], encoding: str = "utf-8") -> ImportResult:
    return read_enterprises("名单.csv", csv_bytes(rows, encoding))


def read_xlsx(rows: list[list]) -> ImportResult:
    return read_enterprises("名单.xlsx", xlsx_bytes(rows))


def only_error(result: ImportResult) -> RowError:
    assert result.rows == [] and len(result.errors) == 1, result
    return result.errors[0]


def one_row(result: ImportResult) -> EnterpriseRow:
    assert result.errors == [] and len(result.rows) == 1, result
    return result.rows[0]


# --- Headers ----------------------------------------------------------------------------------

def test_a_csv_with_chinese_headers_gives_the_registration_fields():
    result = read_csv([ZH, [B, "大程镇恒远纺织有限公司", "规上工业", "2024-03-05", "大程工业园区", "DC01、DC02"]])
    assert result.rows == [
        EnterpriseRow(
            row=2,
            enterprise_id=B,
            name="大程镇恒远纺织有限公司",
            category="industry",
            registered_on=date(2024, 3, 5),
            park="大程工业园区",
            assigned_official_ids=("DC01", "DC02"),
        )
    ]
    assert result.errors == []


def test_english_headers_are_case_insensitive():
    header = ["USCC", "Name", "CATEGORY", "Registered_On", "PARK", "Assigned_Official_IDs"]
    row = one_row(read_csv([header, [A, "Acme", "Trade", "2024-01-02", "", "o1 o2"]]))
    assert (row.enterprise_id, row.name, row.category) == (A, "Acme", "trade")
    assert (row.registered_on, row.park, row.assigned_official_ids) == (date(2024, 1, 2), None, ("o1", "o2"))


@pytest.mark.parametrize(
    "field, header",
    [
        ("enterprise_id", h) for h in ["统一社会信用代码", "社会信用代码", "信用代码", "USCC", "uscc", "enterprise_id"]
    ]
    + [("name", h) for h in ["企业名称", "企业（项目）名称", "企业(项目)名称", "单位名称", "名称", "name", "NAME"]]
    + [("category", h) for h in ["企业类别", "类别", "类型", "行业类别", "category"]]
    + [("registered_on", h) for h in ["纳入日期", "入库日期", "录入日期", "登记日期", "registered_on"]]
    + [("park", h) for h in ["所在园区", "园区", "park"]]
    + [("assigned_official_ids", h) for h in ["包抓领导", "包抓领导编号", "包抓责任人", "assigned_official_ids"]],
)
def test_every_accepted_header_name_maps_to_its_field(field, header):
    headers = {"enterprise_id": "统一社会信用代码", "name": "企业名称", "category": "企业类别"} | {field: header}
    values = {"enterprise_id": B, "name": "大程置业有限公司", "category": "房地产开发",
              "registered_on": "2024-05-06", "park": "大程工业园区", "assigned_official_ids": "DC09"}
    row = one_row(read_csv([list(headers.values()), [values[f] for f in headers]]))
    expected = {"registered_on": date(2024, 5, 6), "assigned_official_ids": ("DC09",),
                "category": "real_estate"}.get(field, values[field])
    assert getattr(row, field) == expected


@pytest.mark.parametrize("header", [" 统一社会信用代码 ", "统一 社会信用代码", "统一社会\u3000信用代码", "\t USCC\t"])
def test_headers_are_whitespace_insensitive(header):
    row = one_row(read_csv([[header, "企业名称", "类别"], [B, "大程物流有限公司", "服务业"]]))
    assert row.enterprise_id == B


def test_unknown_columns_are_ignored_and_column_order_does_not_matter():
    header = ["备注", "序号", "类别", "联系电话", "企业名称", "统一社会信用代码"]
    row = one_row(read_csv([header, ["新入库", "1", "建筑业", "0579-8888888", "大程建设集团有限公司", B]]))
    assert (row.enterprise_id, row.name, row.category) == (B, "大程建设集团有限公司", "construction")
    assert (row.registered_on, row.park, row.assigned_official_ids) == (None, None, ())


def test_the_header_is_the_first_non_blank_row_and_row_numbers_stay_those_of_the_sheet():
    result = read_csv([[], ["", ""], ZH[:3], [B, "大程物流有限公司", "服务业"], [A, "", "服务业"]])
    assert result.rows[0].row == 4
    assert result.errors == [RowError(5, "企业名称", "required: the cell is empty")]


# --- Encodings --------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_or_in_gbk_is_read(encoding):
    row = one_row(read_csv([ZH, [B, "大程镇悦来酒店有限公司", "限上批零住餐", "2024年3月5日", "大程镇小微企业园", "李明、王芳"]], encoding))
    assert row.enterprise_id == B  # with a BOM, the first header is still recognised
    assert row.name == "大程镇悦来酒店有限公司"
    assert row.park == "大程镇小微企业园"
    assert row.assigned_official_ids == ("李明", "王芳")
    assert row.registered_on == date(2024, 3, 5)


def test_gb18030_characters_beyond_gbk_are_decoded():
    name = "大程镇𠮷祥食品有限公司"  # 𠮷 is not in GBK
    assert one_row(read_csv([ZH[:3], [B, name, "工业"]], "gb18030")).name == name


def test_a_csv_that_is_neither_utf8_nor_gbk_is_a_file_error():
    with pytest.raises(ImportFileError, match="neither UTF-8 nor GBK"):
        read_enterprises("名单.csv", "统一社会信用代码,企业名称,企业类别\n".encode("utf-8") + b"\xff\xfe\x80\n")


def test_excel_text_wrappers_in_csv_are_unwrapped():
    row = one_row(read_csv([ZH[:3], [f'="{B}"', "大程物流有限公司", "服务业"]]))
    assert row.enterprise_id == B


def test_a_quoted_line_break_does_not_shift_row_numbers():
    result = read_csv([ZH[:3], [B, "大程物流\n有限公司", "服务业"], [A, "", "服务业"]])
    assert result.errors == [RowError(3, "企业名称", "required: the cell is empty")]


# --- XLSX -------------------------------------------------------------------------------------

def test_xlsx_reads_the_first_worksheet_with_date_number_and_string_cells():
    content = xlsx_bytes(
        [
            ["序号", *ZH],
            [1, B, "  大程新材料科技有限公司 ", "规上工业", datetime(2024, 3, 5), "大程工业园区", 1001],
            [2, A, "大程物流有限公司", "规上服务业", date(2023, 12, 1), None, "1002，1003"],
            [3, code(1), "大程置业有限公司", "房地产开发", "2024/1/9", "", None],
        ],
        extra_sheets={"说明": [["统一社会信用代码", "企业名称", "企业类别"], ["bad", "", ""]]},
    )
    result = read_enterprises("大程镇.xlsx", content)
    assert result.errors == []
    got = [(r.row, r.enterprise_id, r.name, r.registered_on, r.park, r.assigned_official_ids) for r in result.rows]
    assert got == [
        (2, B, "大程新材料科技有限公司", date(2024, 3, 5), "大程工业园区", ("1001",)),
        (3, A, "大程物流有限公司", date(2023, 12, 1), None, ("1002", "1003")),
        (4, code(1), "大程置业有限公司", date(2024, 1, 9), None, ()),
    ]


def test_xlsx_blank_rows_are_skipped_and_numbering_follows_the_sheet():
    result = read_xlsx([ZH[:3], [B, "大程物流有限公司", "服务业"], [], [None, "  ", None], [A, "大程置业有限公司", "??"]])
    assert [r.row for r in result.rows] == [2]
    assert [(e.row, e.column) for e in result.errors] == [(5, "企业类别")]


def test_xlsx_number_in_the_date_column_is_an_error_not_a_serial_date():
    error = only_error(read_xlsx([ZH[:4], [B, "大程物流有限公司", "服务业", 45356]]))
    assert (error.row, error.column) == (2, "纳入日期")
    assert "is a number, not a date" in error.reason


def test_xlsx_uscc_stored_as_a_number_says_why_it_is_wrong():
    error = only_error(read_xlsx([ZH[:3], [121200004013590816, "大程镇中心学校", "其他"]]))
    assert error.column == "统一社会信用代码"
    assert "format the column as text" in error.reason


def test_xlsx_text_is_trimmed_including_full_width_spaces():
    row = one_row(read_xlsx([["\u3000企业名称\u3000", "统一社会信用代码", "企业类别"], ["\u3000大程物流有限公司 ", f" {B}\t", " 服务业 "]]))
    assert (row.name, row.enterprise_id, row.category) == ("大程物流有限公司", B, "services")


# --- Category ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "cell, expected",
    [
        ("规上工业", "industry"), ("工业", "industry"),
        ("资质建筑业", "construction"), ("建筑业", "construction"),
        ("限上批零住餐", "trade"), ("限上商贸", "trade"), ("批零住餐", "trade"),
        ("规上服务业", "services"), ("服务业", "services"),
        ("房地产开发", "real_estate"), ("房地产", "real_estate"),
        ("重点项目", "project"), ("项目", "project"),
        ("其他", "other"), ("其它", "other"),
        ("industry", "industry"), ("Construction", "construction"), ("TRADE", "trade"), ("services", "services"),
        ("real_estate", "real_estate"), ("project", "project"), ("other", "other"),
        (" 规上 工业 ", "industry"),
    ],
)
def test_category_accepts_english_values_and_chinese_names(cell, expected):
    assert one_row(read_csv([ZH[:3], [B, "某企业", cell]])).category == expected


def test_an_unknown_category_lists_the_accepted_values():
    error = only_error(read_csv([ZH[:3], [B, "某企业", "制造业"]]))
    assert (error.row, error.column) == (2, "企业类别")
    assert "'制造业'" in error.reason
    for accepted in ["industry", "规上工业", "construction", "限上商贸", "real_estate", "重点项目", "other", "其它"]:
        assert accepted in error.reason


def test_an_empty_category_is_required():
    assert only_error(read_csv([ZH[:3], [B, "某企业", " "]])) == RowError(2, "企业类别", "required: the cell is empty")


# --- enterprise_id ----------------------------------------------------------------------------

def test_a_bad_check_character_reports_the_uscc_error():
    error = only_error(read_csv([ZH[:3], ["91330782MA2ABCD13B", "某企业", "工业"]]))
    assert (error.row, error.column) == (2, "统一社会信用代码")
    assert error.reason == (
        "not a valid Unified Social Credit Code: check character (position 18) is 'B', expected 'A'"
    )


@pytest.mark.parametrize(
    "cell, fragment",
    [
        ("9133078MA2ABCD13A", "must be 18 characters, got 17"),
        ("91330782MA2ABCD1OA", "not allowed"),
        ("91ABCDEFMA2ABCD13A", "administrative division"),
        (with_check("91330782MA2ABCD12"), "organisation code check character (position 17, GB 11714) is '2'"),
    ],
)
def test_other_uscc_errors_name_what_is_wrong(cell, fragment):
    error = only_error(read_csv([ZH[:3], [cell, "某企业", "工业"]]))
    assert error.reason.startswith("not a valid Unified Social Credit Code: ") and fragment in error.reason


def test_an_empty_enterprise_id_is_required():
    assert only_error(read_csv([ZH[:3], ["", "某企业", "工业"]])) == RowError(2, "统一社会信用代码", "required: the cell is empty")


@pytest.mark.parametrize(
    "cell", ["91330782ma2abcd13a", "9133 0782 MA2A BCD1 3A", "91330782-MA2ABCD1-3A", "９１３３０７８２ＭＡ２ＡＢＣＤ１３Ａ"]
)
def test_the_enterprise_id_is_normalised(cell):
    assert one_row(read_csv([ZH[:3], [cell, "某企业", "工业"]])).enterprise_id == B


def test_the_same_enterprise_twice_is_an_error_on_the_second_occurrence():
    result = read_csv([ZH[:3], [B, "甲公司", "工业"], [A, "乙公司", "工业"], [B.lower(), "甲公司（重复）", "工业"]])
    assert [r.row for r in result.rows] == [2, 3]
    assert result.errors == [RowError(4, "统一社会信用代码", "duplicate of row 2")]


def test_a_duplicate_with_other_errors_reports_them_all():
    result = read_csv([ZH[:3], [B, "甲公司", "工业"], [B, "", "制造业"]])
    assert [(e.row, e.column) for e in result.errors] == [(3, "统一社会信用代码"), (3, "企业名称"), (3, "企业类别")]
    assert result.errors[0].reason == "duplicate of row 2"


# --- name -------------------------------------------------------------------------------------

def test_name_may_be_200_characters_but_not_201():
    result = read_csv([ZH[:3], [B, "企" * 200, "工业"], [A, "企" * 201, "工业"]])
    assert [r.row for r in result.rows] == [2]
    assert result.errors == [RowError(3, "企业名称", "is 201 characters long; at most 200 are allowed")]


def test_the_error_column_is_the_header_as_written_in_the_file():
    error = only_error(read_csv([["统一社会信用代码", "企业（项目）名称", "Category"], [B, "", "工业"]]))
    assert error.column == "企业（项目）名称"


# --- registered_on ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "cell",
    ["2024-03-05", "2024-3-5", "2024/3/5", "2024/03/05", "2024.3.5", "2024年3月5日", "2024年03月05日", "2024年3月5",
     "2024/3/5 0:00", "2024-03-05 00:00:00", "２０２４－０３－０５"],
)
def test_registered_on_accepts_the_usual_written_forms(cell):
    assert one_row(read_csv([ZH[:4], [B, "某企业", "工业", cell]])).registered_on == date(2024, 3, 5)


@pytest.mark.parametrize("cell, fragment", [
    ("2024-13-01", "not a calendar date"),
    ("2023-02-29", "not a calendar date"),
    ("2024-3/5", "is not a date"),
    ("20240305", "is not a date"),
    ("45356", "is not a date"),  # an Excel serial number in a CSV is not accepted
    ("3/5/2024", "is not a date"),
    ("下周", "is not a date"),
])
def test_an_invalid_registered_on_is_a_row_error(cell, fragment):
    error = only_error(read_csv([ZH[:4], [B, "某企业", "工业", cell]]))
    assert (error.row, error.column) == (2, "纳入日期")
    assert fragment in error.reason and cell in error.reason


def test_registered_on_is_optional():
    assert one_row(read_csv([ZH[:4], [B, "某企业", "工业", "  "]])).registered_on is None


# --- park and officials -----------------------------------------------------------------------

def test_park_is_trimmed_and_empty_is_none():
    result = read_csv([ZH[:5], [B, "甲", "工业", "", "  大程工业园区 "], [A, "乙", "工业", "", "\u3000"]])
    assert [r.park for r in result.rows] == ["大程工业园区", None]


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("DC01、DC02", ("DC01", "DC02")),
        ("DC01,DC02，DC03", ("DC01", "DC02", "DC03")),
        ("DC01;DC02；DC03", ("DC01", "DC02", "DC03")),
        ("DC01 DC02\tDC03\u3000DC04", ("DC01", "DC02", "DC03", "DC04")),
        (" DC01 、 ,DC02；；", ("DC01", "DC02")),
        ("DC01、DC01", ("DC01",)),
        ("DC01", ("DC01",)),
        ("", ()),
        ("、", ()),
    ],
)
def test_official_ids_are_split_on_chinese_and_western_separators(cell, expected):
    assert one_row(read_csv([ZH, [B, "某企业", "工业", "", "", cell]])).assigned_official_ids == expected


# --- Several bad rows, blank rows -------------------------------------------------------------

def test_every_problem_in_every_row_is_reported_in_row_order_and_good_rows_are_kept():
    result = read_csv([
        ["序号", *ZH],
        ["1", B, "甲公司", "工业", "2024-01-01", "", ""],
        ["2", "91330782MA2ABCD13B", "", "制造业", "2024-02-30", "", ""],
        ["3", A, "乙公司", "建筑业", "", "", "DC01"],
        ["4", "", "丙公司", "商贸", "昨天", "", ""],
        ["5", B, "甲公司", "工业", "", "", ""],
        ["6", code(7), "丁公司", "其它", "2024.6.1", "大程工业园区", ""],
    ])
    assert [r.row for r in result.rows] == [2, 4, 7]
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "统一社会信用代码"), (3, "企业名称"), (3, "企业类别"), (3, "纳入日期"),
        (5, "统一社会信用代码"), (5, "企业类别"), (5, "纳入日期"),
        (6, "统一社会信用代码"),
    ]
    assert result.errors[-1].reason == "duplicate of row 2"


def test_blank_rows_and_rows_with_only_unrecognised_columns_are_skipped():
    result = read_csv([
        ["序号", *ZH[:3], "备注"],
        ["1", B, "甲", "工业", ""],
        [],
        ["", "", "", "", ""],
        ["3", "", "", "", ""],
        ["", "", " ", "", "合计"],
    ])
    assert [r.row for r in result.rows] == [2]
    assert result.errors == []


# --- File errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("filename", ["名单.xls", "名单.txt", "名单", "名单.csv.docx"])
def test_other_formats_are_refused_naming_the_accepted_ones(filename):
    with pytest.raises(ImportFileError, match=r"\.csv and \.xlsx"):
        read_enterprises(filename, csv_bytes([ZH[:3], [B, "甲", "工业"]]))


@pytest.mark.parametrize("filename", ["名单.CSV", r"C:\Users\clerk\桌面\大程镇.v2\名单.Csv"])
def test_the_extension_is_case_insensitive_and_a_path_is_tolerated(filename):
    assert one_row(read_enterprises(filename, csv_bytes([ZH[:3], [B, "甲", "工业"]]))).enterprise_id == B


@pytest.mark.parametrize("filename, content", [
    ("名单.csv", b""),
    ("名单.csv", b"\xef\xbb\xbf"),
    ("名单.csv", b"\r\n,,,\r\n\r\n"),
    ("名单.xlsx", b""),
    ("名单.xlsx", xlsx_bytes([])),
])
def test_an_empty_file_is_a_file_error(filename, content):
    with pytest.raises(ImportFileError, match="empty"):
        read_enterprises(filename, content)


@pytest.mark.parametrize("reader", [read_csv, read_xlsx])
def test_a_header_without_rows_is_a_file_error(reader):
    with pytest.raises(ImportFileError, match="no enterprise rows"):
        reader([ZH, [], ["", ""]])


def test_a_missing_required_column_is_named_with_its_accepted_headers():
    with pytest.raises(ImportFileError) as raised:
        read_csv([["序号", "统一社会信用代码", "园区"], ["1", B, ""]])
    message = str(raised.value)
    assert "name (accepted headers: 企业名称, 企业（项目）名称, 单位名称, 名称, name)" in message
    assert "category (accepted headers: 企业类别, 类别, 类型, 行业类别, category)" in message
    assert "enterprise_id" not in message
    assert "序号" in message  # what the header row has, to spot a title row above it


def test_a_title_row_above_the_header_is_reported_as_missing_columns():
    with pytest.raises(ImportFileError, match="required column missing: enterprise_id"):
        read_xlsx([["大程镇“五上”企业名单"], ZH, [B, "甲", "工业"]])


@pytest.mark.parametrize("header, first, second", [
    (["统一社会信用代码", "企业名称", "名称", "企业类别"], "企业名称", "名称"),
    (["统一社会信用代码", "企业（项目）名称", "企业类别", "NAME"], "企业（项目）名称", "NAME"),
    (["统一社会信用代码", "企业名称", "类别", "类型"], "类别", "类型"),
    (["USCC", "企业名称", "类别", "信用代码"], "USCC", "信用代码"),
])
def test_two_columns_for_one_field_is_a_file_error(header, first, second):
    with pytest.raises(ImportFileError, match=f"'{first}' and '{second}' both hold"):
        read_csv([header, [B, "甲", "工业", "x"]])


@pytest.mark.parametrize(
    "content",
    [b"not a zip at all", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, b"PK\x03\x04broken"],
    ids=["text", "old-xls", "broken-zip"],
)
def test_a_damaged_or_old_format_workbook_is_a_file_error(content):
    with pytest.raises(ImportFileError, match=r"cannot be read as an \.xlsx workbook"):
        read_enterprises("名单.xlsx", content)


def test_import_file_error_is_a_value_error():
    assert issubclass(ImportFileError, ValueError)


def test_results_are_frozen():
    row = one_row(read_csv([ZH[:3], [B, "甲", "工业"]]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.name = "乙"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        RowError(2, "x", "y").row = 3  # type: ignore[misc]


# --- A realistic township list: 大程镇, 27 enterprises ----------------------------------------

DACHENG = [
    # name, category as the platform writes it, park, registered_on, 包抓领导
    ("浙江大程机械制造有限公司", "规上工业", "大程工业园区", date(2023, 1, 10), "DC01、DC11"),
    ("大程镇恒远纺织有限公司", "规上工业", "大程工业园区", date(2023, 1, 10), "DC01"),
    ("大程新材料科技有限公司", "规上工业", "大程工业园区", date(2023, 3, 2), "DC02、DC12"),
    ("金华市大程五金工具有限公司", "规上工业", "大程工业园区", date(2023, 3, 2), "DC02"),
    ("大程镇精工汽配有限公司", "规上工业", "大程镇小微企业园", date(2023, 6, 18), "DC03"),
    ("大程电器有限公司", "规上工业", "大程镇小微企业园", date(2023, 6, 18), "DC03、DC13"),
    ("大程镇丰源食品有限公司", "规上工业", None, date(2023, 9, 1), "DC04"),
    ("大程塑业有限公司", "规上工业", "大程镇小微企业园", date(2024, 1, 5), "DC04"),
    ("大程镇华信包装材料有限公司", "规上工业", "大程工业园区", date(2024, 1, 5), "DC05"),
    ("大程镇宏达建筑工程有限公司", "资质建筑业", None, date(2023, 1, 10), "DC05、DC14"),
    ("大程建设集团有限公司", "资质建筑业", None, date(2023, 1, 10), "DC06"),
    ("大程镇安居装饰工程有限公司", "资质建筑业", None, date(2024, 2, 20), "DC06"),
    ("大程镇联华超市有限公司", "限上批零住餐", None, date(2023, 1, 10), "DC07"),
    ("大程镇农资商贸有限公司", "限上批零住餐", None, date(2023, 4, 8), "DC07"),
    ("大程镇悦来酒店有限公司", "限上批零住餐", None, date(2023, 4, 8), "DC08"),
    ("大程镇石油经营部有限公司", "限上批零住餐", None, date(2024, 3, 1), "DC08"),
    ("大程物流有限公司", "规上服务业", "大程工业园区", date(2023, 1, 10), "DC09"),
    ("大程镇信息技术服务有限公司", "规上服务业", None, date(2023, 7, 7), "DC09"),
    ("大程镇人力资源服务有限公司", "规上服务业", None, date(2024, 4, 15), "DC10"),
    ("大程置业有限公司", "房地产开发", None, date(2023, 1, 10), "DC10、DC15"),
    ("大程镇滨江房地产开发有限公司", "房地产开发", None, date(2023, 5, 30), "DC11"),
    ("大程镇年产5万吨新型建材项目", "重点项目", "大程工业园区", date(2024, 3, 12), "DC01、DC12"),
    ("大程镇分布式光伏发电项目", "重点项目", None, date(2024, 5, 6), "DC12"),
    ("大程镇污水处理厂提标改造项目", "重点项目", None, date(2024, 6, 1), "DC13"),
    ("大程镇农业发展有限公司", "其他", None, date(2023, 8, 8), "DC14"),
    ("大程镇乡村旅游开发有限公司", "其他", None, date(2024, 6, 20), "DC15"),
    ("大程镇供销合作社有限公司", "限上批零住餐", None, date(2024, 7, 1), "DC07、DC08"),
]
DACHENG_HEADER = ["序号", "统一社会信用代码", "企业（项目）名称", "企业类别", "所在园区", "纳入日期", "包抓领导", "联系人", "备注"]


def dacheng_rows(as_text: bool) -> list[list]:
    rows = []
    for i, (name, category, park, on, leaders) in enumerate(DACHENG, start=1):
        day = f"{on.year}/{on.month}/{on.day}" if as_text else datetime(on.year, on.month, on.day)
        rows.append([i, code(100 + i), name, category, park or "", day, leaders, "", "新纳入" if on.year == 2024 else ""])
    return [DACHENG_HEADER, *rows]


def check_dacheng(result: ImportResult) -> None:
    assert result.errors == []
    assert len(result.rows) == 27
    assert [r.row for r in result.rows] == list(range(2, 29))
    assert [r.enterprise_id for r in result.rows] == [code(100 + i) for i in range(1, 28)]
    assert [r.name for r in result.rows] == [d[0] for d in DACHENG]
    assert [r.registered_on for r in result.rows] == [d[3] for d in DACHENG]
    counts = {c: sum(r.category == c for r in result.rows) for c in {r.category for r in result.rows}}
    assert counts == {
        "industry": 9, "construction": 3, "trade": 5, "services": 3, "real_estate": 2, "project": 3, "other": 2
    }
    assert result.rows[0].assigned_official_ids == ("DC01", "DC11")
    assert result.rows[6].park is None and result.rows[0].park == "大程工业园区"


def test_the_dacheng_list_as_xlsx_imports_without_errors():
    check_dacheng(read_enterprises("大程镇五上企业名单.xlsx", xlsx_bytes(dacheng_rows(as_text=False))))


def test_the_dacheng_list_as_a_gbk_csv_saved_by_excel_imports_without_errors():
    check_dacheng(read_enterprises("大程镇五上企业名单.csv", csv_bytes(dacheng_rows(as_text=True), "gbk")))
