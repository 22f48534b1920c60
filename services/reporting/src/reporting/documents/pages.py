"""The command line that makes a bulletin's documents from its JSON (as `GET /api/v1/bulletins/{scope}/{period}`
returns it): the .docx, the PDF, and the PDF's pages as PNG (page-1.png, page-2.png, …, rendered by pypdfium2) —
how docs/ gets the pictures of a sample bulletin.

    python -m reporting.documents.pages <bulletin.json> <out_dir> [--scale 1.5]
"""
from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

from reporting.documents.docx import bulletin_docx
from reporting.documents.pdf import bulletin_pdf


def pdf_pages_png(pdf: bytes, scale: float = 1.5) -> list[bytes]:
    """Every page of the PDF as PNG bytes (scale 1 = 72 dpi); the same PDF gives the same PNGs."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        pages = []
        for i in range(len(document)):
            page = document[i]
            image = page.render(scale=scale).to_pil()
            out = io.BytesIO()
            image.save(out, format="PNG", optimize=False)
            pages.append(out.getvalue())
            page.close()
        return pages
    finally:
        document.close()


def write(bulletin: dict[str, Any], out_dir: Path, scale: float = 1.5) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{bulletin['scope']}-{bulletin['period']}-通报"
    pdf = bulletin_pdf(bulletin)
    written = [out_dir / f"{stem}.docx", out_dir / f"{stem}.pdf"]
    written[0].write_bytes(bulletin_docx(bulletin))
    written[1].write_bytes(pdf)
    for n, png in enumerate(pdf_pages_png(pdf, scale), start=1):
        path = out_dir / f"page-{n}.png"
        path.write_bytes(png)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reporting.documents.pages", description=__doc__.split("\n\n")[0])
    parser.add_argument("bulletin", type=Path, help="the frozen bulletin as JSON")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--scale", type=float, default=1.5, help="PNG pixels per PDF point (1.5 ≈ 108 dpi)")
    args = parser.parse_args(argv)
    bulletin = json.loads(args.bulletin.read_text(encoding="utf-8"))
    for path in write(bulletin, args.out_dir, args.scale):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
