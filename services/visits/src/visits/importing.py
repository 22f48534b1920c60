"""Read a township's enterprise list exported from the county visit platform (大走访平台).

Pure: the bytes of a .csv or .xlsx file in, the rows to register (the body of
`POST .../enterprises`, CONTRACTS.md §2) and every row problem out. Nothing is stored or sent.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable

from contracts import uscc
from contracts.enums import EnterpriseCategory as Cat

MAX_NAME = 200


@dataclass(frozen=True)
class RowError:
    row: int  # spreadsheet row number as the clerk sees it: header = 1, first data row = 2
    column: str  # the column header as it appears in the file (or the canonical field name)
    reason: str


@dataclass(frozen=True)
class EnterpriseRow:
    row: int
    enterprise_id: str
    name: str
    category: str
    registered_on: date | None
    park: str | None
    assigned_official_ids: tuple[str, ...]


@dataclass(frozen=True)
class ImportResult:
    rows: list[EnterpriseRow]
    errors: list[RowError]


class ImportFileError(ValueError):
    """The file as a whole cannot be read; the message says why."""


HEADERS: dict[str, tuple[str, ...]] = {
    "enterprise_id": ("统一社会信用代码", "社会信用代码", "信用代码", "USCC", "enterprise_id"),
    "name": ("企业名称", "企业（项目）名称", "单位名称", "名称", "name"),
    "category": ("企业类别", "类别", "类型", "行业类别", "category"),
    "registered_on": ("纳入日期", "入库日期", "录入日期", "登记日期", "registered_on"),
    "park": ("所在园区", "园区", "park"),
    "assigned_official_ids": ("包抓领导", "包抓领导编号", "包抓责任人", "assigned_official_ids"),
}
REQUIRED = ("enterprise_id", "name", "category")

CATEGORY_NAMES: dict[Cat, tuple[str, ...]] = {
    Cat.industry: ("规上工业", "工业"),
    Cat.construction: ("资质建筑业", "建筑业"),
    Cat.trade: ("限上批零住餐", "限上商贸", "批零住餐"),
    Cat.services: ("规上服务业", "服务业"),
    Cat.real_estate: ("房地产开发", "房地产"),
    Cat.project: ("重点项目", "项目"),
    Cat.other: ("其他", "其它"),
}

DATE_FORMS = "YYYY-MM-DD, YYYY/M/D, YYYY.M.D or YYYY年M月D日"
# Excel's CSV of a date cell may carry a time ("2024/3/5 0:00"); the date part is what counts.
_DATE = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})(?:\s+[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?")
_DATE_CN = re.compile(r"([0-9]{4})\s*年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*日?")
_ID_SEPARATORS = re.compile(r"[、,，;；\s]+")
# Chinese platforms export long digit strings as ="..." so that Excel keeps them as text.
_EXCEL_TEXT = re.compile(r'="(.*)"', re.DOTALL)


def _key(text: str) -> str:
    # NFKC turns full-width parentheses and letters into half-width ones.
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


_FIELD_OF_HEADER = {_key(h): field for field, names in HEADERS.items() for h in names}
_CATEGORY_OF = {_key(n): c.value for c, names in CATEGORY_NAMES.items() for n in (c.value, *names)}


class _Invalid(Exception):
    """A cell's value is wrong; the message is the RowError reason."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed in Excel comes back as 1001.0
    return str(value).strip()


# --- Reading the file into (row number, cells) ---------------------------------------------

def _read_csv(content: bytes) -> list[tuple[int, list[Any]]]:
    for encoding in ("utf-8-sig", "gb18030"):  # gb18030 is a superset of GBK
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError("the CSV file is neither UTF-8 nor GBK/GB18030 text")
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ImportFileError(f"the CSV file cannot be parsed: {exc}") from None
    # Row numbers count records, not lines: a quoted cell with a line break is still one row in Excel.
    return [(n, [_unwrap(cell) for cell in record]) for n, record in enumerate(records, start=1)]


def _unwrap(cell: str) -> str:
    m = _EXCEL_TEXT.fullmatch(cell.strip())
    return m.group(1) if m else cell


def _read_xlsx(content: bytes) -> list[tuple[int, list[Any]]]:
    import openpyxl  # only the .xlsx path needs it

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # exports often lack styles; openpyxl warns about it
            workbook = openpyxl.load_workbook(io.BytesIO(content), data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of error for a damaged or foreign file
        raise ImportFileError(
            f"the file cannot be read as an .xlsx workbook ({type(exc).__name__}); "
            "if it was saved as .xls, open it in Excel and save it as .xlsx"
        ) from None
    sheet = workbook.worksheets[0]
    return [(n, list(cells)) for n, cells in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)]


def _read_table(filename: str, content: bytes) -> list[tuple[int, list[Any]]]:
    base = re.split(r"[\\/]", filename)[-1]  # browsers on Windows may send a full path
    extension = base.rsplit(".", 1)[-1].lower() if "." in base else ""
    readers = {"csv": _read_csv, "xlsx": _read_xlsx}
    if extension not in readers:
        shown = f"'.{extension}'" if extension else "without an extension"
        raise ImportFileError(f"unsupported file type {shown} ({filename!r}): accepted formats are .csv and .xlsx")
    if not content.strip():
        raise ImportFileError("the file is empty")
    return readers[extension](content)


def _map_header(cells: list[Any]) -> dict[str, tuple[int, str]]:
    """field -> (column index, header as written in the file)."""
    columns: dict[str, tuple[int, str]] = {}
    for index, cell in enumerate(cells):
        header = _text(cell)
        field = _FIELD_OF_HEADER.get(_key(header))
        if field is None:
            continue  # 序号, 备注 and the like
        if field in columns:
            raise ImportFileError(
                f"columns {columns[field][1]!r} and {header!r} both hold {field}; keep only one of them"
            )
        columns[field] = (index, header)
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        found = ", ".join(h for h in (_text(c) for c in cells) if h)
        needed = "; ".join(f"{f} (accepted headers: {', '.join(HEADERS[f])})" for f in missing)
        raise ImportFileError(f"required column missing: {needed}. The header row has: {found}")
    return columns


# --- One cell per field ----------------------------------------------------------------------

def _required(value: Any) -> str:
    text = _text(value)
    if not text:
        raise _Invalid("required: the cell is empty")
    return text


def _enterprise_id(value: Any) -> str:
    text = _required(value)
    try:
        return uscc.validate(unicodedata.normalize("NFKC", text))  # full-width digits from a Chinese IME
    except uscc.USCCError as exc:
        reason = f"not a valid Unified Social Credit Code: {exc}"
        if isinstance(value, (int, float)):
            reason += " (the cell holds a number, which Excel cuts to 15 digits; format the column as text)"
        raise _Invalid(reason) from None


def _name(value: Any) -> str:
    text = _required(value)
    if len(text) > MAX_NAME:
        raise _Invalid(f"is {len(text)} characters long; at most {MAX_NAME} are allowed")
    return text


def _category(value: Any) -> str:
    text = _required(value)
    category = _CATEGORY_OF.get(_key(text))
    if category is None:
        accepted = "; ".join(f"{c.value} ({', '.join(names)})" for c, names in CATEGORY_NAMES.items())
        raise _Invalid(f"unknown category {text!r}; accepted values: {accepted}")
    return category


def _registered_on(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise _Invalid(f"{_text(value)!r} is a number, not a date; format the cell as a date or write {DATE_FORMS}")
    text = unicodedata.normalize("NFKC", _text(value))
    if not text:
        return None
    if m := _DATE.fullmatch(text):
        year, month, day = m.group(1, 3, 4)
    elif m := _DATE_CN.fullmatch(text):
        year, month, day = m.groups()
    else:
        raise _Invalid(f"{text!r} is not a date; write it as {DATE_FORMS}")
    try:
        return date(int(year), int(month), int(day))
    except ValueError as exc:
        raise _Invalid(f"{text!r} is not a calendar date ({exc})") from None


def _park(value: Any) -> str | None:
    return _text(value) or None


def _official_ids(value: Any) -> tuple[str, ...]:
    ids = (i for i in _ID_SEPARATORS.split(_text(value)) if i)
    return tuple(dict.fromkeys(ids))  # a leader listed twice is still one leader


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "enterprise_id": _enterprise_id,
    "name": _name,
    "category": _category,
    "registered_on": _registered_on,
    "park": _park,
    "assigned_official_ids": _official_ids,
}


def read_enterprises(filename: str, content: bytes) -> ImportResult:
    """Parse an enterprise list; raise ImportFileError only when the file as a whole is unusable."""
    table = _read_table(filename, content)
    nonblank = [(n, cells) for n, cells in table if any(_text(c) for c in cells)]
    if not nonblank:
        raise ImportFileError("the file is empty")
    (header_row, header), data = nonblank[0], nonblank[1:]
    columns = _map_header(header)

    rows: list[EnterpriseRow] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    seen_data = False
    for n, cells in data:
        raw = {f: (cells[i] if i < len(cells) else None) for f, (i, _) in columns.items()}
        if not any(_text(v) for v in raw.values()):
            continue  # only unrecognised columns filled in, e.g. a trailing 序号
        seen_data = True
        values: dict[str, Any] = {}
        row_errors: list[RowError] = []
        for field, parse in _PARSERS.items():
            column = columns[field][1] if field in columns else field
            try:
                values[field] = parse(raw.get(field))
            except _Invalid as exc:
                row_errors.append(RowError(n, column, str(exc)))
        code = values.get("enterprise_id")
        if code is not None:
            if code in first_row_of:
                # enterprise_id is parsed first, so the duplicate goes first: a row's errors stay in field order.
                row_errors.insert(0, RowError(n, columns["enterprise_id"][1], f"duplicate of row {first_row_of[code]}"))
            else:
                first_row_of[code] = n
        if row_errors:
            errors.extend(row_errors)
        else:
            rows.append(EnterpriseRow(row=n, **values))
    if not seen_data:
        raise ImportFileError(f"the file has a header (row {header_row}) but no enterprise rows below it")
    return ImportResult(rows=rows, errors=errors)
