"""Percentiles, open-loop pacing, and the row each P reports."""
from __future__ import annotations

import asyncio
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional


def percentile(values: list[float], p: float) -> Optional[float]:
    """Nearest-rank percentile (p in 0..100) of `values`; None when empty."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))
    return s[k]


def summary(values: list[float]) -> dict[str, Any]:
    return {"n": len(values), "p50": percentile(values, 50), "p90": percentile(values, 90),
            "p99": percentile(values, 99), "max": max(values) if values else None}


def ms(seconds: Optional[float]) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def rate(x: float) -> str:
    return f"{x:,.0f} ev/s"


async def open_loop(rate_per_s: float, duration_s: float, request: Callable[[int, float], Awaitable[Any]],
                    drain_s: float = 30.0) -> tuple[list[Any], float]:
    """Start `request(i, at)` at its scheduled loop time `at` = t0 + i/rate whatever the earlier ones are doing
    (open loop: a slow server does not slow the arrivals; latencies are measured from `at`). Returns the results
    (an exception counts as a result) and the largest lag of a start behind its schedule. Requests still running
    `drain_s` after the last start are cancelled."""
    n = int(rate_per_s * duration_s)
    loop = asyncio.get_running_loop()
    t0 = loop.time() + 0.05
    tasks = []
    worst_lag = 0.0
    for i in range(n):
        at = t0 + i / rate_per_s
        delay = at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        worst_lag = max(worst_lag, loop.time() - at)
        tasks.append(asyncio.ensure_future(request(i, at)))
    done, pending = await asyncio.wait(tasks, timeout=drain_s) if tasks else (set(), set())
    for t in pending:
        t.cancel()
    if pending:
        await asyncio.wait(pending, timeout=10)  # let them note their cancellation
    results = []
    for t in tasks:
        if t in pending or t.cancelled():
            results.append(TimeoutError(f"still running {drain_s:.0f} s after the last request started"))
        elif t.exception() is not None:
            results.append(t.exception())
        else:
            results.append(t.result())
    return results, worst_lag


class LoopLag:
    """How late the bench's own event loop wakes up (a 20 ms sleep, measured): if this is large, the client is
    what is slow, not the service."""

    def __init__(self):
        self.lags: list[float] = []
        self._task: Optional[asyncio.Task] = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            t = loop.time()
            await asyncio.sleep(0.02)
            self.lags.append(loop.time() - t - 0.02)

    def __enter__(self) -> "LoopLag":
        self._task = asyncio.ensure_future(self._run())
        return self

    def __exit__(self, *exc) -> None:
        self._task.cancel()

    def summary(self) -> dict[str, Any]:
        return {"p99_s": percentile(self.lags, 99), "max_s": max(self.lags) if self.lags else None}


@dataclass
class Row:
    p: str
    what: str
    figure: str = "—"
    baseline: str = "—"
    ratio: Optional[float] = None
    goal: str = ""
    met: Optional[bool] = None  # None: not measured
    note: str = ""
    raw: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def met_text(self) -> str:
        return {True: "yes", False: "NO", None: "n/a"}[self.met]


class Clock:
    """Wall time of the phases of a run."""

    def __init__(self):
        self.phases: dict[str, float] = {}

    def phase(self, name: str):
        clock = self

        class _Timer:
            def __enter__(self):
                self.t0 = time.monotonic()

            def __exit__(self, *exc):
                clock.phases[name] = round(clock.phases.get(name, 0.0) + time.monotonic() - self.t0, 1)

        return _Timer()


def say(message: str) -> None:
    """Progress on stderr (the table goes to stdout)."""
    import sys

    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuShare:
    """CPU seconds each named process spends between enter and exit: where a phase's time goes."""

    def __init__(self, pids: dict[str, int]):
        self.pids = pids
        self.spent: dict[str, float] = {}

    def __enter__(self) -> "CpuShare":
        self._start = {n: cpu_seconds(p) for n, p in self.pids.items()}
        return self

    def __exit__(self, *exc) -> None:
        self.spent = {n: cpu_seconds(p) - self._start[n] for n, p in self.pids.items()}

    def per(self, count: int) -> str:
        if not count:
            return ""
        parts = [f"{n} {s / count * 1000:.1f} ms" for n, s in sorted(self.spent.items(), key=lambda kv: -kv[1])]
        return f"CPU per accepted visit: {', '.join(parts)} (total {sum(self.spent.values()) / count * 1000:.1f} ms)"
