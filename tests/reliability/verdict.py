"""The end of every scenario: each report of the system against the reference computed from the events sent,
and the figures of the README's reliability table (events sent, lost, double-counted)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

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
    replicas: int = 1
    served: dict[str, int] = field(default_factory=dict)  # requests answered by each replica of each service
    seconds: dict[str, float] = field(default_factory=dict)  # wall time of the scenario's phases

    def row(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "runs": self.runs, "replicas": self.replicas, "sent": self.sent,
                "lost": self.lost, "double": self.double, "served": self.served, "seconds": self.seconds}


def report(reporting_url: str, township: str, period: str) -> dict | None:
    r = httpx.get(f"{reporting_url}/api/v1/reports/{township}/{period}", headers=VIEWER, timeout=30)
    return r.json() if r.status_code == 200 else None


def issues_of(issues_url: str, township: str) -> list[dict]:
    r = httpx.get(f"{issues_url}/api/v1/townships/{township}/issues", headers=VIEWER, timeout=30)
    r.raise_for_status()
    return r.json()


# Counted by the issues service on its working-day calendar and carried on IssueClosed: not in the load's own
# record of what it sent, so the verdict leaves them out (the property test checks them against the reference).
CALENDAR_FIGURES = ("mean_working_days_to_close", "p90_working_days_to_close")


def _predictable(figures: dict | None) -> dict | None:
    """The figures without the calendar's, here and in the comparison blocks (previous_period, same_period_last_year)."""
    if figures is None:
        return None
    return {k: _predictable(v) if isinstance(v, dict) and "period" in v else v
            for k, v in figures.items() if k not in CALENDAR_FIGURES}


def _report_or_none(url: str, township: str, period: str) -> dict | None:
    try:
        return _predictable(report(url, township, period))
    except httpx.HTTPError:
        return None


def judge(scenario: str, runs: int, reporting: str | list[str], expected: dict[str, list], sent: int,
          caught_up: Callable[[], bool] | None = None, wait_s: float = 240.0) -> Outcome:
    """`expected`: township → the events it must be counted from; `reporting`: the reporting replicas, every one
    of which must answer every report right (a replica that did not project an event must still count it).
    Waits until the year reports agree on every replica and `caught_up()` (every consumer group committed to the
    topics' ends), since the system is eventually consistent; then compares every period on every replica and
    counts what is missing or counted twice (the worst replica's figures)."""
    urls = [reporting] if isinstance(reporting, str) else list(reporting)
    want = {t: {p: _predictable(reference_report(events, t, ref_period(p))) for p in PERIODS}
            for t, events in expected.items()}
    began = time.monotonic()
    deadline = began + wait_s
    seconds: dict[str, float] = {}  # when each replica's year report first agreed, when the groups caught up
    while time.monotonic() < deadline:
        for n, u in enumerate(urls):
            if f"replica {n + 1} right" not in seconds and all(_report_or_none(u, t, "2026") == want[t]["2026"] for t in want):
                seconds[f"replica {n + 1} right"] = round(time.monotonic() - began, 1)
        if len(seconds) == len(urls) and (caught_up is None or caught_up()):
            seconds["caught up"] = round(time.monotonic() - began, 1)
            if all(_report_or_none(u, t, "2026") == want[t]["2026"] for u in urls for t in want):
                break
        time.sleep(1.0)
    time.sleep(2.0)  # anything still arriving late would be a double count: give it the chance to show
    outcome = Outcome(scenario, runs, sent, replicas=len(urls), seconds={**seconds, "settle": round(time.monotonic() - began, 1)})
    for url in urls:
        where = f" (replica {url})" if len(urls) > 1 else ""
        lost = double = 0
        for township, periods in want.items():
            for period, expected_report in periods.items():
                got = _report_or_none(url, township, period) or {}
                if got != expected_report:
                    outcome.mismatches.append(f"{township} {period}{where}: " + ", ".join(
                        f"{k}={got.get(k)!r} (want {v!r})" for k, v in expected_report.items() if got.get(k) != v))
            year = _report_or_none(url, township, "2026") or {}
            for counter in COUNTED:
                diff = (year.get(counter) or 0) - periods["2026"][counter]
                lost += max(0, -diff)
                double += max(0, diff)
        outcome.lost, outcome.double = max(outcome.lost, lost), max(outcome.double, double)
    return outcome
