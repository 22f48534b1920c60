"""The bulletin's document on the real Kafka and store: published once, then downloaded as Word and PDF, each time
the same bytes, carrying the number, the names frozen from the log, the figures and the hash."""
from __future__ import annotations

import io
import random
import uuid

import pypdfium2
import pytest_asyncio
from docx import Document

from reporting.app import create_app
from tests.integration.test_bulletins import visits
from tests.support import events, kafka
from tests.support.apps import bearer, running

ADMIN, VIEWER = bearer("county_admin"), bearer("county_viewer")


@pytest_asyncio.fixture
async def api(stack, monkeypatch):
    async with running(create_app, monkeypatch) as client:
        yield client


def docx_text(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def pdf_text(content: bytes) -> str:
    pdf = pypdfium2.PdfDocument(content)
    return "\n".join(page.get_textpage().get_text_range() for page in pdf)


async def test_a_published_bulletin_downloads_as_the_same_word_and_pdf_documents(api, kafka_bootstrap):
    township = f"t-{uuid.uuid4().hex[:8]}"
    named = events.envelope("TownshipRegistered", township, township, {"township_id": township, "name": "文档镇", "county": "示范县"})
    await kafka.produce(kafka_bootstrap, "visits.v1", [(township.encode(), events.encode(named)), *visits(township, 3, random.Random(4))])
    assert (await api.get(f"/api/v1/bulletins/{township}/2026-Q1/document", headers=VIEWER)).status_code == 404
    bulletin = (await api.post(f"/api/v1/bulletins/{township}/2026-Q1", headers=ADMIN)).json()

    word = await api.get(f"/api/v1/bulletins/{township}/2026-Q1/document?format=docx", headers=VIEWER)
    assert word.status_code == 200, word.text
    assert word.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert word.headers["content-disposition"].startswith("attachment; filename*=UTF-8''")
    pdf = await api.get(f"/api/v1/bulletins/{township}/2026-Q1/document?format=pdf", headers=VIEWER)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    outline = (await api.get(f"/api/v1/bulletins/{township}/2026-Q1/outline", headers=VIEWER)).json()
    assert outline["number"] == bulletin["number"] and outline["scope_name"] == "文档镇"
    for text in (docx_text(word.content), pdf_text(pdf.content)):
        flat = "".join(text.split())  # the PDF wraps lines anywhere
        assert bulletin["number"] in flat and "文档镇" in flat and bulletin["hash"] in flat
        for label, value in outline["figures"]:
            assert value in flat, (label, value)
    # Made again from the frozen bulletin: byte for byte the same documents.
    assert (await api.get(f"/api/v1/bulletins/{township}/2026-Q1/document?format=docx", headers=VIEWER)).content == word.content
    assert (await api.get(f"/api/v1/bulletins/{township}/2026-Q1/document?format=pdf", headers=VIEWER)).content == pdf.content

    assert (await api.get(f"/api/v1/bulletins/{township}/2026-Q1/document?format=exe", headers=VIEWER)).status_code == 422
    other = await api.get(f"/api/v1/bulletins/{township}/2026-Q1/document", headers=bearer("dacheng_viewer"))
    assert other.status_code == 403
