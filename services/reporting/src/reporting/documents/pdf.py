"""Pure: a frozen bulletin as PDF (reportlab), printing the same outline as the .docx (outline.py) with the same
charts, in the CJK font of Debian's fonts-wqy-microhei (the TTC's first face, embedded as a subset, so the text is
extractable). Byte for byte reproducible: reportlab's `invariant` fixes the creation date and the document id."""
from __future__ import annotations

import io
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import HRFlowable, Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from xml.sax.saxutils import escape

from reporting.documents.charts import DPI, SIZE_INCHES, charts, font_path
from reporting.documents.outline import outline
from reporting.printable import printable

FONT = "WenQuanYiMicroHei"
RED = colors.HexColor("#E00000")
MARGIN = 2 * cm
WIDTH = A4[0] - 2 * MARGIN


def _register() -> None:
    try:
        pdfmetrics.getFont(FONT)
    except KeyError:
        pdfmetrics.registerFont(TTFont(FONT, font_path(), subfontIndex=0))


def _style(name: str, size: float, align=TA_LEFT, colour=colors.black, indent: float = 0, leading: float = 0,
           after: float = 0) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=FONT, fontSize=size, leading=leading or size * 1.5, alignment=align,
                          textColor=colour, firstLineIndent=indent, spaceAfter=after, wordWrap="CJK")


BODY = _style("body", 11, indent=22, after=3)
STYLES = {
    "body": BODY,
    "salutation": _style("salutation", 11, after=3),
    "red": _style("red", 11, colour=RED, indent=22, after=3),
    "black": _style("black", 11, indent=22, after=3),
    "heading": _style("heading", 13, indent=22, after=4, leading=20),
    "title": _style("title", 17, align=TA_CENTER, after=12, leading=26),
    "number": _style("number", 11, align=TA_CENTER),
    "caption": _style("caption", 9.5, align=TA_CENTER, after=3),
    "right": _style("right", 11, align=TA_RIGHT),
    "footer": _style("footer", 8, leading=12),
}


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(printable(text)), style)


def _table(table: dict[str, Any]) -> list[Any]:
    columns, rows = table["columns"], table["rows"]
    size = 9 if len(columns) <= 6 else 8 if len(columns) <= 9 else 7.5
    cell = _style("cell", size, align=TA_CENTER, leading=size * 1.3)
    first = _style("first", size, leading=size * 1.3)
    data = [[_p(c, cell) for c in columns]]
    left = first if columns[0] != "名次" else cell
    data += [[_p(v, left if j == 0 else cell) for j, v in enumerate(row)] for row in rows]
    widths = None
    if len(columns) > 2:
        head = min(WIDTH * 0.22, 70) if table["id"].startswith(("table", "appendix")) else WIDTH / len(columns)
        if columns[0] == "指标":
            head = WIDTH * 0.26
        widths = [head] + [(WIDTH - head) / (len(columns) - 1)] * (len(columns) - 1)
    fill = {"red": colors.HexColor("#F8D7D7"), "black": colors.HexColor("#D9D9D9")}.get(table["style"], colors.HexColor("#EDEDED"))
    style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("BACKGROUND", (0, 0), (-1, 0), fill),
             ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TOPPADDING", (0, 0), (-1, -1), 2),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 2), ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2)]
    if table["total_row"] and rows:
        style.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#F2F2F2")))
    grid = Table(data, colWidths=widths, repeatRows=1, hAlign="CENTER")
    grid.setStyle(TableStyle(style))
    caption = _style("tcaption", 9.5, align=TA_CENTER, after=3, colour=RED if table["style"] == "red" else colors.black)
    head = _p(f"{table['number']}  {table['title']}", caption)
    if len(rows) > 12:  # a long table may start on this page and go on (its header repeated)
        return [head, grid, Spacer(1, 8)]
    return [KeepTogether([head, grid]), Spacer(1, 8)]


def _chart(chart: dict[str, Any], png: bytes) -> list[Any]:
    width = 15 * cm
    height = width * SIZE_INCHES[1] / SIZE_INCHES[0]
    return [KeepTogether([Image(io.BytesIO(png), width=width, height=height),
                          _p(f"{chart['number']}  {chart['title']}", STYLES["caption"]), Spacer(1, 6)])]


def _story(o: dict[str, Any], pngs: dict[str, bytes]) -> list[Any]:
    size = max(12.0, min(24.0, WIDTH * 0.92 / max(len(o["issuer"]), 1)))
    story: list[Any] = [
        _p(o["issuer"], _style("issuer", size, align=TA_CENTER, colour=RED, leading=size * 1.4)),
        Spacer(1, 10), _p(o["number"], STYLES["number"]), Spacer(1, 2),
        HRFlowable(width="100%", thickness=2, color=RED, spaceBefore=2, spaceAfter=14),
        _p(o["title"], STYLES["title"]),
    ]
    tables = {t["id"]: t for t in o["tables"]}
    chart_of = {c["id"]: c for c in o["charts"]}
    for block in o["body"]:
        kind = block["type"]
        if kind == "heading":
            story.append(_p(block["text"], STYLES["heading"]))
        elif kind == "paragraph":
            story.append(_p(block["text"], STYLES.get(block.get("style") or "body", BODY)))
        elif kind == "table":
            story += _table(tables[block["id"]])
        elif kind == "chart":
            story += _chart(chart_of[block["id"]], pngs[block["id"]])
        elif kind == "signature":
            story += [Spacer(1, 14), KeepTogether([_p(block["issuer"], STYLES["right"]), _p(block["date"], STYLES["right"])]),
                      Spacer(1, 16)]
    story.append(KeepTogether([HRFlowable(width="100%", thickness=0.5, color=colors.grey, spaceBefore=6, spaceAfter=4),
                               *(_p(line, STYLES["footer"]) for line in o["footer_lines"])]))
    return story


def _page_number(canvas, doc) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 9)
    canvas.drawCentredString(A4[0] / 2, 1.1 * cm, f"— {doc.page} —")
    canvas.restoreState()


def bulletin_pdf(bulletin: dict[str, Any]) -> bytes:
    """The bulletin as PDF: the same bulletin gives the same bytes."""
    _register()
    o = outline(bulletin)
    pngs = charts(o)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
                            invariant=1, title=o["title"], author=o["issuer"], subject=f"{o['scope_name']} {o['period_label']}",
                            creator="reporting.documents", keywords=f"{o['number']} {o['hash']}")
    doc.build(_story(o, pngs), onFirstPage=_page_number, onLaterPages=_page_number)
    return out.getvalue()
