"""Pure: a frozen bulletin as a Word document (.docx, python-docx), printing its outline (outline.py): the 红头 (the
issuing office in red over a red rule), the number, the title, the body with its tables and charts, the signature and
date, and the footer naming the log position and the content hash.

Byte for byte reproducible: the core properties come from the bulletin (created = modified = published_at, author =
the issuer, revision 1), the template's thumbnail is left out, and the zip is written again with one fixed timestamp
(published_at, local) for every member, in python-docx's order."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime, timezone
from typing import Any, Optional

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from reporting.documents.charts import charts
from reporting.documents.outline import LOCAL, outline
from reporting.printable import printable

BODY = "仿宋"
HEADING = "黑体"
TITLE = "宋体"
RED = RGBColor(0xE0, 0x00, 0x00)
BLACK = RGBColor(0, 0, 0)
TEXT_WIDTH_PT = 442  # A4 less the margins below: 21 cm - 2.8 cm - 2.6 cm


def _font(run, font: str, size: float, bold: bool = False, colour: Optional[RGBColor] = None):
    run.font.name = font
    run.font.size = Pt(size)
    run.bold = bold
    if colour is not None:
        run.font.color.rgb = colour
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    return run


def _paragraph(doc, text: str, font: str = BODY, size: float = 14, bold: bool = False, colour=None,
               align=None, indent: bool = False, space_after: float = 0):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    fmt = p.paragraph_format
    fmt.space_after = Pt(space_after)
    fmt.space_before = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    _font(p.add_run(printable(text)), font, size, bold, colour)
    return p


def _rule(paragraph, colour: str = "E00000") -> None:
    """A red rule under the paragraph (the 红头's 分隔线), as a bottom border."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "18"), ("w:space", "4"), ("w:color", colour)):
        bottom.set(qn(k), v)
    borders.append(bottom)
    ppr.append(borders)


def _shade(cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    for k, v in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", fill)):
        shading.set(qn(k), v)
    tcpr.append(shading)


def _table(doc, table: dict[str, Any]) -> None:
    colour = RED if table["style"] == "red" else BLACK
    _paragraph(doc, f"{table['number']}  {table['title']}", HEADING, 11, colour=colour, align=WD_ALIGN_PARAGRAPH.CENTER,
               space_after=3)
    columns, rows = table["columns"], table["rows"]
    size = 10.5 if len(columns) <= 6 else 9 if len(columns) <= 9 else 8
    grid = doc.add_table(rows=1 + len(rows), cols=len(columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    header_fill = {"red": "F8D7D7", "black": "D9D9D9"}.get(table["style"], "EDEDED")
    for cell, text in zip(grid.rows[0].cells, columns):
        _shade(cell, header_fill)
        p = cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(p.add_run(printable(text)), HEADING, size)
    for i, (row, values) in enumerate(zip(grid.rows[1:], rows)):
        last = table["total_row"] and i == len(rows) - 1
        for j, (cell, text) in enumerate(zip(row.cells, values)):
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT if j == 0 else WD_ALIGN_PARAGRAPH.CENTER
            _font(p.add_run(printable(text)), BODY, size, bold=last)
    _paragraph(doc, "", size=6)


def _chart(doc, chart: dict[str, Any], png: bytes) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run().add_picture(io.BytesIO(png), width=Cm(15))
    _paragraph(doc, f"{chart['number']}  {chart['title']}", HEADING, 10.5, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)


def _utc(published_at: str) -> datetime:
    at = datetime.fromisoformat(published_at)
    return (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _document(o: dict[str, Any], pngs: dict[str, bytes]) -> Document:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.2), Cm(2.8)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    # 红头: the issuing office in red, as large as fits one line; the number; the red rule.
    size = max(14.0, min(26.0, TEXT_WIDTH_PT * 0.92 / max(len(o["issuer"]), 1)))
    _paragraph(doc, o["issuer"], TITLE, size, bold=True, colour=RED, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    number = _paragraph(doc, o["number"], BODY, 14, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=10)
    _rule(number)
    _paragraph(doc, "", size=8)
    _paragraph(doc, o["title"], TITLE, 20, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=14)
    tables = {t["id"]: t for t in o["tables"]}
    chart_of = {c["id"]: c for c in o["charts"]}
    for block in o["body"]:
        kind = block["type"]
        if kind == "heading":
            _paragraph(doc, block["text"], HEADING, 14, indent=True, space_after=4)
        elif kind == "paragraph":
            style = block.get("style")
            colour = RED if style == "red" else None
            _paragraph(doc, block["text"], BODY, 14, bold=style in ("red", "black"), colour=colour,
                       indent=style != "salutation", space_after=4)
        elif kind == "table":
            _table(doc, tables[block["id"]])
        elif kind == "chart":
            _chart(doc, chart_of[block["id"]], pngs[block["id"]])
        elif kind == "signature":
            _paragraph(doc, "", size=14)
            _paragraph(doc, block["issuer"], BODY, 14, align=WD_ALIGN_PARAGRAPH.RIGHT)
            _paragraph(doc, block["date"], BODY, 14, align=WD_ALIGN_PARAGRAPH.RIGHT, space_after=18)
    rule = _paragraph(doc, "", size=6)
    _rule(rule, "808080")
    for line in o["footer_lines"]:
        _paragraph(doc, line, BODY, 9)
    _properties(doc, o)
    return doc


def _properties(doc, o: dict[str, Any]) -> None:
    at = _utc(o["published_at"]).replace(tzinfo=None)  # python-docx writes a naive time as UTC (…Z)
    cp = doc.core_properties
    cp.author = cp.last_modified_by = printable(o["issuer"])[:255]
    cp.title = printable(o["title"])[:255]
    cp.subject = printable(f"{o['scope_name']} {o['period_label']}")[:255]
    cp.identifier = o["hash"]
    cp.comments = f"内容哈希 {o['hash']}"  # a property holds 255 characters: the log position (one per partition) would not fit
    cp.keywords = "遍访企业 助企纾困 通报"
    cp.category = "通报"
    cp.created = cp.modified = cp.last_printed = at
    cp.revision = 1
    package = doc.part.package
    for rid, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:  # the template's picture of some other document
            del package.rels[rid]


def _zip_time(published_at: str) -> tuple[int, int, int, int, int, int]:
    local = _utc(published_at).astimezone(LOCAL)
    return (1980, 1, 1, 0, 0, 0) if local.year < 1980 else (local.year, local.month, local.day, local.hour, local.minute,
                                                             local.second - local.second % 2)


def reproducible_zip(data: bytes, when: tuple[int, int, int, int, int, int]) -> bytes:
    """The same zip with every member stamped `when`, deflated, in the same order."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=when)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            member.create_system = 0
            dst.writestr(member, src.read(info.filename), compresslevel=9)
    return out.getvalue()


def bulletin_docx(bulletin: dict[str, Any]) -> bytes:
    """The bulletin as a .docx: the same bulletin gives the same bytes."""
    o = outline(bulletin)
    doc = _document(o, charts(o))
    raw = io.BytesIO()
    doc.save(raw)
    return reproducible_zip(raw.getvalue(), _zip_time(o["published_at"]))
