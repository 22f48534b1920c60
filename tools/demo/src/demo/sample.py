"""python -m demo.sample: publish (or fetch) a bulletin of a running `make up` after `make demo`, download its Word
and PDF documents from the reporting service, and write them with the PDF's pages as PNG (docs/bulletin/)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import httpx

from reporting.documents.pages import pdf_pages_png


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m demo.sample", description=__doc__)
    p.add_argument("--reporting", default="http://127.0.0.1:8003")
    p.add_argument("--scope", default="dacheng", help="a township id, or county")
    p.add_argument("--period", default="2026-Q1")
    p.add_argument("--admin-token", default="dev-county-admin", help="publishes the bulletin if it is not yet")
    p.add_argument("--out", type=Path, default=Path("docs/bulletin"))
    return p.parse_args(argv)


def run(args: argparse.Namespace, say=print) -> list[Path]:
    base = f"{args.reporting.rstrip('/')}/api/v1/bulletins/{args.scope}/{args.period}"
    auth = {"Authorization": f"Bearer {args.admin_token}"}
    with httpx.Client(timeout=120, headers=auth) as http:
        published = http.post(base)
        if published.status_code not in (201, 409):
            raise SystemExit(f"publishing {args.scope} {args.period}: HTTP {published.status_code}: {published.text[:300]}")
        bulletin = published.json() if published.status_code == 201 else published.json()["bulletin"]
        say(f"bulletin {bulletin.get('number', '(no number)')} {args.scope} {args.period}, hash {bulletin['hash'][:16]}…")
        documents = {fmt: http.get(f"{base}/document", params={"format": fmt}) for fmt in ("docx", "pdf")}
    for fmt, reply in documents.items():
        if reply.status_code != 200:
            raise SystemExit(f"the {fmt} document: HTTP {reply.status_code}: {reply.text[:300]}")
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("page-*.png"):
        old.unlink()  # a shorter document must not leave the last run's extra pages
    stem = f"{args.scope}-{args.period}-通报"
    written = []
    for fmt, reply in documents.items():
        (path := args.out / f"{stem}.{fmt}").write_bytes(reply.content)
        written.append(path)
    for n, png in enumerate(pdf_pages_png(documents["pdf"].content, scale=1.2), start=1):
        (path := args.out / f"page-{n}.png").write_bytes(png)
        written.append(path)
    say("wrote " + ", ".join(str(p) for p in written))
    return written


if __name__ == "__main__":
    run(parse(sys.argv[1:]))
