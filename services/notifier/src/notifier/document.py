"""The 督办单 as a Word document (.docx, python-docx): the form a supervision office prints, signs and files."""
from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from notifier.domain import LEVEL_NAMES

FONT = "宋体"


def _east_asian(run, size: float, bold: bool = False) -> None:
    run.font.name = FONT
    run.font.size = Pt(size)
    run.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)


def supervision_docx(sheet: dict[str, Any]) -> bytes:
    doc = Document()
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _east_asian(title.add_run("督 办 单"), 22, bold=True)
    number = doc.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _east_asian(number.add_run(sheet["number"]), 14)
    subject = "对象" if sheet.get("kind") == "finding" else "企业名称"
    rows = [
        ("督办编号", sheet["number"]),
        ("督办等级", LEVEL_NAMES.get(sheet.get("level") or "", sheet.get("level") or "")),
        (subject, sheet.get("enterprise") or ""),
        ("问题编号", sheet.get("issue_id") or ""),
        ("诉求内容", sheet.get("demand") or ""),
        ("办理时限", sheet.get("deadline") or ""),
        ("超期工作日", f"{sheet.get('working_days_overdue', 0)} 个工作日"),
        ("责任单位", sheet.get("unit") or ""),
        ("单位负责人", sheet.get("head") or ""),
        ("包抓领导", "、".join(sheet.get("leaders") or []) or "无"),
        ("督办日期", sheet.get("issued_on") or ""),
    ]
    table = doc.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    for (label, value), row in zip(rows, table.rows):
        _east_asian(row.cells[0].paragraphs[0].add_run(label), 12, bold=True)
        _east_asian(row.cells[1].paragraphs[0].add_run(str(value)), 12)
    closing = doc.add_paragraph()
    _east_asian(closing.add_run("请责任单位于收到本督办单后立即办理，限期办结，并将办理结果书面反馈督查室。"), 12)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
