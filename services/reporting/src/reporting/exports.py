"""Pure: the quarterly bulletin as a CSV or XLSX table with Chinese headers, and the table writer the ledgers (台账,
ledgers.py) share."""
from __future__ import annotations

import csv
import io
from typing import Any

from reporting.printable import printable

BULLETIN_COLUMNS = [
    ("township", "乡镇"), ("period", "期间"), ("enterprises_registered", "纳入企业数"), ("enterprises_visited", "走访企业数"),
    ("coverage_rate", "走访覆盖率"), ("visits", "走访次数"), ("visits_in_person", "实地走访次数"),
    ("county_leader_visits", "县级领导参与走访次数"), ("issues_raised", "新增问题数"), ("issues_closed", "办结问题数"),
    ("issues_closed_on_time", "按时办结数"), ("on_time_rate", "按时办结率"), ("issues_open_at_end", "期末未办结数"),
    ("issues_overdue_at_end", "期末超期数"), ("satisfaction_rate", "满意率"),
    # the units' figures (README); blank in a bulletin frozen before them
    ("issues_resolved", "解决问题数"), ("resolution_rate", "解决率"), ("acknowledgements", "签收次数"),
    ("acknowledged_on_time", "按时签收次数"), ("mean_working_days_to_acknowledge", "平均签收用时（工作日）"),
    ("p90_working_days_to_acknowledge", "签收用时P90（工作日）"), ("mean_working_days_to_close", "平均办结用时（工作日）"),
    ("p90_working_days_to_close", "办结用时P90（工作日）"), ("returns", "退回次数"), ("findings_raised", "新增整改事项"),
    ("findings_closed", "办结整改事项"),
    # the visits' figures (FIGURES 3; nested counts flattened as <figure>.<key>); blank in a bulletin frozen before them
    ("visits_by_kind.routine", "走访次数（日常走访）"), ("visits_by_kind.visit_day", "走访次数（企业走访日）"),
    ("visits_by_kind.walkthrough", "走访次数（一把手走流程）"), ("visits_by_kind.joint", "走访次数（联合走访）"),
    ("visits_by_channel.phone", "电话走访次数"), ("visits_by_channel.remote", "远程走访次数"),
    ("services_delivered.policy", "送政策次数"), ("services_delivered.warmth", "送温暖次数"),
    ("services_delivered.vitality", "送活力次数"), ("services_delivered.confidence", "送信心次数"),
    ("demands_raised", "收集诉求数"), ("demands_resolved_on_spot", "现场解决数"), ("on_spot_rate", "现场解决率"),
]
FLATTENED = ("visits_by_kind", "visits_by_channel", "services_delivered")  # {key: count} → columns <figure>.<key>
CATEGORY = {"labour": "用工", "financing": "融资", "land": "用地", "approval": "审批", "market": "产品推介/市场",
            "infrastructure": "基础设施", "policy": "政策兑现", "other": "其他"}
SATISFACTION = {"very_satisfied": "非常满意", "satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, **{f"{f}.{k}": n for f in FLATTENED for k, n in (row.get(f) or {}).items()}}


def bulletin_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    if "total" not in report:
        return [_flat(report)]
    return [*map(_flat, report["townships"]), _flat({**report["total"], "township": "全县合计"})]


def _cell(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else printable(value)


def _width(value: Any) -> int:
    """Roughly how many character widths a cell takes: a Chinese character two."""
    text = "" if value is None else str(_cell(value))
    return sum(2 if ord(c) > 0x2E7F else 1 for c in text)


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]], fmt: str, title: str) -> bytes:
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([label for _, label in columns])
        for row in rows:
            writer.writerow(["" if row.get(k) is None else _cell(row.get(k)) for k, _ in columns])
        return out.getvalue().encode("utf-8-sig")  # the BOM lets Excel in China open it as UTF-8
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([label for _, label in columns])
    for row in rows:
        sheet.append([_cell(row.get(k)) for k, _ in columns])  # dates stay text (YYYY-MM-DD), as the facts keep them
    sheet.freeze_panes = "A2"  # the header row stays in view
    for i, (key, label) in enumerate(columns, 1):
        widest = max([_width(label), *(_width(row.get(key)) for row in rows)])
        sheet.column_dimensions[get_column_letter(i)].width = min(max(widest + 2, 8), 60)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
