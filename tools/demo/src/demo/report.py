"""Waits for the reporting service to show the quarter and prints its key figures."""
from __future__ import annotations

import time

from demo.api import Api

PERIOD = "2026-Q1"
KEYS = ["enterprises_registered", "enterprises_visited", "coverage_rate", "visits", "county_leader_visits",
        "issues_raised", "issues_closed", "issues_closed_on_time", "on_time_rate", "issues_open_at_end",
        "issues_overdue_at_end", "satisfaction_rate"]


def wait(api: Api, visits: int, raised: int, closed: int, timeout_s: float) -> dict:
    """The Q1 report once it counts at least these visits, raised and closed issues (or the last seen)."""
    deadline = time.monotonic() + timeout_s
    last: dict = {}
    while time.monotonic() < deadline:
        r = api.get("reporting", f"/{PERIOD}", ok=(200, 404))
        if r.status_code == 200:
            last = r.json()
            if last["visits"] >= visits and last["issues_raised"] >= raised and last["issues_closed"] >= closed:
                return last
        time.sleep(1)
    return last


def show(report: dict) -> str:
    if not report:
        return "  (no report yet)"
    lines = [f"  {k:<24} {report.get(k)}" for k in KEYS]
    lines.append(f"  {'by_category':<24} {report.get('by_category')}")
    return "\n".join(lines)
