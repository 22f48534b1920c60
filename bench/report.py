"""The table (stdout and bench/last-run.md) and the raw numbers (bench/last-run.json), with the machine."""
from __future__ import annotations

import json
import os
import platform
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.measure import Row
from bench.stack import BACKEND, ROOT

HERE = Path(__file__).resolve().parent
STORE_BACKENDS = {"file": "H2 file, commit per write", "memory": "memory backend"}
COLUMNS = ("P", "what", "figure", "baseline", "ratio", "goal", "met")


def machine(scale: str) -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    kafka = sorted(p.name.removeprefix("kafka-") for p in (ROOT / ".cache" / "infra").glob("kafka-*"))
    pom = ROOT / "infra" / "store" / "pom.xml"
    found = re.search(r"<mongo-java-server.version>([^<]+)<", pom.read_text()) if pom.exists() else None
    try:
        load = os.getloadavg()
    except OSError:
        load = (0, 0, 0)
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "scale": scale,
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kafka": ", ".join(kafka) or os.environ.get("KAFKA_VERSION", "4.1.1"),
        "store": f"mongo-java-server {found[1] if found else '?'} ({STORE_BACKENDS.get(BACKEND, BACKEND)})",
        "loadavg_at_end": [round(x, 2) for x in load],
        "git": git_version(),
    }


def git_version() -> str:
    """The commit measured, with "+changes" when the work tree differs from it (files outside bench/)."""
    run = lambda *args: subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout  # noqa: E731
    changed = [line for line in run("status", "--porcelain", "--untracked-files=no").splitlines()
               if not line[3:].startswith("bench/")]
    return run("rev-parse", "--short", "HEAD").strip() + ("+changes" if changed else "")


def cells(r: Row) -> list[str]:
    ratio = "—" if r.ratio is None else f"{r.ratio:.2f}"
    return [r.p, r.what, r.figure, r.baseline, ratio, r.goal, r.met_text]


def table(rows: list[Row]) -> str:
    data = [list(COLUMNS), *(cells(r) for r in rows)]
    widths = [max(len(row[i]) for row in data) for i in range(len(COLUMNS))]
    line = lambda row: "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()  # noqa: E731
    out = [line(data[0]), "  ".join("-" * w for w in widths), *(line(r) for r in data[1:])]
    notes = [f"  {r.p}: {r.note}" for r in rows if r.note]
    return "\n".join(out + (["notes:", *notes] if notes else []))


def markdown(rows: list[Row], mach: dict[str, Any], phases: dict[str, float]) -> str:
    md = ["# Bench: last run", "",
          f"Scale **{mach['scale']}**, {mach['date']}, git {mach['git']}. Each figure is beside a baseline measured "
          "in the same run on the same machine.", "",
          "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    md += ["| " + " | ".join(c.replace("|", "\\|") for c in cells(r)) + " |" for r in rows]
    notes = [f"- {r.p}: {r.note}" for r in rows if r.note]
    if notes:
        md += ["", "Notes:", *notes]
    md += ["", "Machine:", "", "| | |", "|---|---|",
           f"| nproc | {mach['nproc']} |", f"| CPU | {mach['cpu']} |", f"| RAM | {mach['ram_gib']} GiB |",
           f"| Python | {mach['python']} |", f"| Kafka | {mach['kafka']} |", f"| store | {mach['store']} |",
           f"| load average at the end (1/5/15 min) | {' / '.join(str(x) for x in mach['loadavg_at_end'])} |"]
    md += ["", "Phases (s):", "", "| phase | seconds |", "|---|---|"]
    md += [f"| {k} | {v} |" for k, v in phases.items()]
    md += ["", "Raw numbers: `bench/last-run.json`. Run: `make bench` "
           "(`.venv/bin/python -m bench --scale small|full`).", ""]
    return "\n".join(md)


def write(rows: list[Row], mach: dict[str, Any], phases: dict[str, float], extra: dict[str, Any]) -> None:
    (HERE / "last-run.md").write_text(markdown(rows, mach, phases))
    body = {"machine": mach, "phases_s": phases, **extra,
            "rows": [{"p": r.p, "what": r.what, "figure": r.figure, "baseline": r.baseline, "ratio": r.ratio,
                      "goal": r.goal, "met": r.met, "note": r.note, "seconds": round(r.seconds, 1), "raw": r.raw}
                     for r in rows]}
    (HERE / "last-run.json").write_text(json.dumps(body, indent=2, ensure_ascii=False, default=str) + "\n")
