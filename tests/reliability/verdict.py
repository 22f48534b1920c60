"""The end of every scenario: each report of the system against the reference computed from the events sent,
and the figures of the README's reliability table (events sent, lost, double-counted)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.apps import bearer
from tests.support.reference import ref_period, reference_report

PERIODS = [f"2026-{m:02d}" for m in range(1, 11)] + ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2026-H1", "2026-H2", "2026"]
COUNTED = ("enterprises_registered", "visits", "issues_raised", "issues_closed")
VIEWER = bearer("county_viewer")


@dataclass
class Outcome:
    scenario: str
    runs: int
    sent: int
    lost: int = 0
    double: int = 0
    mismatches: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "runs": self.runs, "sent": self.sent, "lost": self.lost, "double": self.double}


def report(reporting_url: str, township: str, period: str) -> dict | None:
    r = httpx.get(f"{reporting_url}/api/v1/reports/{township}/{period}", headers=VIEWER, timeout=30)
    return r.json() if r.status_code == 200 else None


def issues_of(issues_url: str, township: str) -> list[dict]:
    r = httpx.get(f"{issues_url}/api/v1/townships/{township}/issues", headers=VIEWER, timeout=30)
    r.raise_for_status()
    return r.json()


def judge(scenario: str, runs: int, reporting_url: str, expected: dict[str, list], sent: int, wait_s: float = 240.0) -> Outcome:
    """`expected`: township → the events it must be counted from. Waits until the year reports agree (the
    system is eventually consistent), then compares every period; counts what is missing or counted twice."""
    want = {t: {p: reference_report(events, t, ref_period(p)) for p in PERIODS} for t, events in expected.items()}
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and any(report(reporting_url, t, "2026") != want[t]["2026"] for t in want):
        time.sleep(1.0)
    time.sleep(2.0)  # anything still arriving late would be a double count: give it the chance to show
    outcome = Outcome(scenario, runs, sent)
    for township, periods in want.items():
        for period, expected_report in periods.items():
            got = report(reporting_url, township, period) or {}
            if got != expected_report:
                outcome.mismatches.append(f"{township} {period}: " + ", ".join(
                    f"{k}={got.get(k)!r} (want {v!r})" for k, v in expected_report.items() if got.get(k) != v))
        year = report(reporting_url, township, "2026") or {}
        for counter in COUNTED:
            diff = (year.get(counter) or 0) - periods["2026"][counter]
            outcome.lost += max(0, -diff)
            outcome.double += max(0, diff)
    return outcome
