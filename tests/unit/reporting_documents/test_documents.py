"""The bulletin as .docx and PDF: every frozen figure exactly as printed, the title, number and hash, and the same
bytes every time (in this process and in another), the PDF's pages as PNG too."""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from docx import Document

from reporting.documents import charts
from reporting.documents.docx import bulletin_docx
from reporting.documents.outline import outline
from reporting.documents.pages import main as pages_main, pdf_pages_png
from reporting.documents.pdf import bulletin_pdf

from .conftest import county_bulletin_dict, old_bulletin_dict, old_township_bulletin_dict, township_bulletin_dict
from .expected import all_figures

HERE = Path(__file__).parent
MAKERS = {"county": county_bulletin_dict, "township": township_bulletin_dict, "old": old_bulletin_dict,
          "old_township": old_township_bulletin_dict}


@pytest.fixture(scope="module")
def made() -> dict[str, dict[str, bytes]]:
    return {name: {"docx": bulletin_docx(make()), "pdf": bulletin_pdf(make())} for name, make in MAKERS.items()}


def docx_text(data: bytes) -> tuple[str, list[list[list[str]]]]:
    doc = Document(io.BytesIO(data))
    tables = [[[cell.text for cell in row.cells] for row in t.rows] for t in doc.tables]
    return "\n".join(p.text for p in doc.paragraphs), tables


def pdf_text(data: bytes) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        return "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("name", list(MAKERS))
def test_the_docx_says_the_head_every_figure_and_the_hash(made, name):
    bulletin = MAKERS[name]()
    o = outline(bulletin)
    text, tables = docx_text(made[name]["docx"])
    paragraphs = text.split("\n")
    assert paragraphs[0] == o["issuer"] and paragraphs[1] == o["number"] and o["title"] in paragraphs
    assert o["date"] in paragraphs and f"内容哈希 {bulletin['hash']}，" in paragraphs
    cells = {c for t in tables for row in t for c in row}
    for label, value in all_figures(bulletin):
        assert value in cells or value in text, (label, value)
    # and the figures in their places: each table of the outline is a table of the document, cell for cell
    outline_tables = [[t["columns"], *t["rows"]] for t in o["tables"]]
    assert tables == outline_tables


def test_the_docx_township_row_holds_that_townships_figures(made):
    bulletin = county_bulletin_dict()
    _, tables = docx_text(made["county"]["docx"])
    table = next(t for t in tables if t[0][:4] == ["乡镇", "纳入企业", "走访企业", "走访覆盖率"])
    for report in bulletin["report"]["townships"]:
        row = next(r for r in table if r[0] == bulletin["names"]["townships"][report["township"]])
        assert row[1:4] == [str(report["enterprises_registered"]), str(report["enterprises_visited"]),
                            f"{report['coverage_rate'] * 100:.1f}%"]


@pytest.mark.parametrize("name", list(MAKERS))
def test_the_pdf_text_says_the_same(made, name):
    bulletin = MAKERS[name]()
    o = outline(bulletin)
    text = squeeze(pdf_text(made[name]["pdf"]))
    for expected in (o["issuer"], o["number"], o["title"], o["date"], bulletin["hash"], o["footer"]):
        assert squeeze(expected) in text, expected
    for label, value in o["figures"]:
        assert squeeze(value) in text, (label, value)
    for paragraph in (b["text"] for b in o["body"] if b["type"] == "paragraph"):
        assert squeeze(paragraph) in text
    for label, value in all_figures(bulletin):
        assert value in text, (label, value)


def test_the_docx_properties_come_from_the_bulletin(made):
    doc = Document(io.BytesIO(made["county"]["docx"]))
    cp = doc.core_properties
    assert cp.author == "示范县遍访企业助企纾困工作领导小组办公室" and cp.revision == 1
    assert cp.created.isoformat().startswith("2026-04-01T17:30:00") and cp.modified == cp.created
    names = zipfile.ZipFile(io.BytesIO(made["county"]["docx"])).namelist()
    assert "docProps/thumbnail.jpeg" not in names and sum(n.startswith("word/media/") for n in names) == 4
    assert {i.date_time for i in zipfile.ZipFile(io.BytesIO(made["county"]["docx"])).infolist()} == {(2026, 4, 2, 1, 30, 0)}


@pytest.mark.parametrize("name", list(MAKERS))
def test_a_second_generation_is_the_same_bytes(made, name):
    assert bulletin_docx(MAKERS[name]()) == made[name]["docx"]
    assert bulletin_pdf(MAKERS[name]()) == made[name]["pdf"]


def test_charts_and_pages_are_the_same_bytes_again(made):
    o = outline(county_bulletin_dict())
    first = charts.charts(o)
    assert len(first) == 4 and all(png.startswith(b"\x89PNG") for png in first.values())
    assert charts.charts(o) == first
    pages = pdf_pages_png(made["county"]["pdf"], scale=0.5)
    assert len(pages) >= 3 and pdf_pages_png(made["county"]["pdf"], scale=0.5) == pages


def test_another_process_makes_the_same_bytes(made, tmp_path):
    """Nothing of the process (hash seeds, font caches, ids) gets into the bytes."""
    script = ("import hashlib, json, sys; sys.path.insert(0, sys.argv[1]);"
              "from conftest import county_bulletin_dict as make;"
              "from reporting.documents.docx import bulletin_docx; from reporting.documents.pdf import bulletin_pdf;"
              "print(json.dumps([hashlib.sha256(bulletin_docx(make())).hexdigest(), hashlib.sha256(bulletin_pdf(make())).hexdigest()]))")
    env = {**os.environ, "PYTHONHASHSEED": "12345", "MPLCONFIGDIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script, str(HERE)], capture_output=True, text=True, env=env, check=True, timeout=120)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [hashlib.sha256(made["county"][k]).hexdigest() for k in ("docx", "pdf")]


def test_the_command_line_writes_the_documents_and_the_pages(made, tmp_path):
    source = tmp_path / "bulletin.json"
    source.write_text(json.dumps(township_bulletin_dict(), ensure_ascii=False), encoding="utf-8")
    assert pages_main([str(source), str(tmp_path / "out"), "--scale", "0.5"]) == 0
    out = tmp_path / "out"
    assert (out / "dacheng-2026-Q1-通报.docx").read_bytes() == made["township"]["docx"]
    assert (out / "dacheng-2026-Q1-通报.pdf").read_bytes() == made["township"]["pdf"]
    pages = sorted(p.name for p in out.glob("page-*.png"))
    assert pages and pages[0] == "page-1.png"
    assert (out / "page-1.png").read_bytes() == pdf_pages_png(made["township"]["pdf"], scale=0.5)[0]


def test_without_the_font_the_error_names_the_package(monkeypatch, tmp_path):
    monkeypatch.setattr(charts, "FONT_PATH", str(tmp_path / "none.ttc"))
    with pytest.raises(charts.FontMissing, match="fonts-wqy-microhei"):
        charts.font_path()


def test_a_name_with_characters_xml_cannot_carry_still_prints_without_them():
    b = township_bulletin_dict()
    b["units"][0]["name"] = "金融\x00办\x1b"
    b["names"] = {**b["names"], "townships": {**b["names"]["townships"], "dacheng": "大程\x0b镇"},
                  "units": {**b["names"]["units"], "u-fin": "县金融\x00办\x1b"}}
    text, tables = docx_text(bulletin_docx(b))
    cells = [c for t in tables for row in t for c in row]
    assert "县金融办" in cells and "大程镇" in text
    assert bulletin_pdf(b).startswith(b"%PDF")
