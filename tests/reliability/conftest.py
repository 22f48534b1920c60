"""One system (own Kafka, store and two replicas of each of the three services) for the fault scenarios, and the table they fill."""
from __future__ import annotations

import json

import pytest

from tests.reliability.system import System
from tests.support.processes import LOGS

RESULTS = LOGS / "reliability.jsonl"
_rows: list[dict] = []


@pytest.fixture(scope="session")
def system():
    s = System().start()
    yield s
    s.stop()


@pytest.fixture
def record():
    """Keep a scenario's figures for the table printed at the end (and written to .state/test-logs)."""
    def add(outcome, command: str):
        row = {**outcome.row(), "command": command}
        _rows.append(row)
        with RESULTS.open("a") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return add


def pytest_terminal_summary(terminalreporter):
    if not _rows:
        return
    terminalreporter.section("reliability: figures of this run")
    terminalreporter.write_line("| scenario | runs | replicas | events sent | lost | double-counted |")
    terminalreporter.write_line("|---|---|---|---|---|---|")
    totals: dict[str, list[int]] = {}
    for r in _rows:
        t = totals.setdefault(r["scenario"], [0, 0, 0, 0, 0])
        t[1] = max(t[1], r.get("replicas", 1))
        for i, k in ((0, "runs"), (2, "sent"), (3, "lost"), (4, "double")):
            t[i] += r[k]
    for name, (runs, replicas, sent, lost, double) in totals.items():
        terminalreporter.write_line(f"| {name} | {runs} | {replicas} | {sent} | {lost} | {double} |")
