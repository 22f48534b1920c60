"""Pure: the quarterly bulletin and the issue ledger (台账) as CSV or XLSX tables with Chinese headers."""
from __future__ import annotations

import csv
import io
from typing import Any, Optional

from reporting.report import Period, issues_of

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
]
LEDGER_COLUMNS = [
    ("township", "乡镇"), ("issue_id", "问题编号"), ("enterprise_id", "统一社会信用代码"), ("category", "问题类别"),
    ("raised_on", "提出日期"), ("deadline", "办理时限"), ("closed_on", "办结日期"), ("on_time", "是否按时办结"),
    ("satisfaction", "满意度"), ("state_at_end", "期末状态"),
]
CATEGORY = {"labour": "用工", "financing": "融资", "land": "用地", "approval": "审批", "market": "产品推介/市场",
            "infrastructure": "基础设施", "policy": "政策兑现", "other": "其他"}
SATISFACTION = {"very_satisfied": "非常满意", "satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}


def bulletin_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    if "total" not in report:
        return [report]
    return [*report["townships"], {**report["total"], "township": "全县合计"}]


def ledger_rows(facts: dict[str, list[dict]], period: Period) -> list[dict[str, Any]]:
    s, e = period.start.isoformat(), period.end.isoformat()
    rows = []
    for (township, issue_id), issue in sorted(issues_of(facts).items()):
        closed_on: Optional[str] = issue.closed_on()
        open_at_end = issue.raised_on <= e and (closed_on is None or closed_on > e)
        if not (s <= issue.raised_on <= e or (closed_on and s <= closed_on <= e) or open_at_end):
            continue
        closed_here = bool(closed_on and s <= closed_on <= e)
        rows.append({
            "township": township, "issue_id": issue_id, "enterprise_id": issue.enterprise_id,
            "category": CATEGORY.get(issue.category, issue.category), "raised_on": issue.raised_on,
            "deadline": issue.deadline_at(e), "closed_on": closed_on if closed_here else None,
            "on_time": ("是" if closed_on <= issue.close["deadline"] else "否") if closed_here else None,
            "satisfaction": SATISFACTION.get(issue.close["satisfaction"]) if closed_here and issue.close["satisfaction"] else None,
            "state_at_end": ("超期未办结" if issue.deadline_at(e) < e else "办理中") if open_at_end else "已办结",
        })
    return rows


def _cell(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]], fmt: str, title: str) -> bytes:
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([label for _, label in columns])
        for row in rows:
            writer.writerow(["" if row.get(k) is None else _cell(row.get(k)) for k, _ in columns])
        return out.getvalue().encode("utf-8-sig")  # the BOM lets Excel in China open it as UTF-8
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([label for _, label in columns])
    for row in rows:
        sheet.append([_cell(row.get(k)) for k, _ in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
