"""P4: p99 of the county quarterly report read with many events (P3's rebuilt database) vs with few; and the first
read after a restart of the reporting service with as many events (goal ≤ 2 s), beside the same with few.

Each side's first read is timed apart (its own budget): on a database no process has read yet it tallies every
township from the facts, which no later read does, and it is reported beside the p99, not inside it."""
from __future__ import annotations

import asyncio
import time
from typing import Any, Optional

import httpx

from bench import rawkafka
from bench.context import Ctx
from bench.measure import Row, ms, summary
from bench.p1_throughput import TOPICS, catch_up

PERIOD = "2026-Q2"
VIEWER = {"Authorization": "Bearer dev-county-viewer"}
GOAL = 1.5
RESTART_GOAL_S = 2.0


async def one_read(url: str, budget_s: float, what: str) -> Optional[float]:
    """The seconds one county read took, or None if it did not answer within `budget_s`."""
    async with httpx.AsyncClient(headers=VIEWER) as client:
        t0 = time.monotonic()
        try:
            r = await client.get(f"{url}/api/v1/reports/county/{PERIOD}", timeout=budget_s)
        except httpx.TimeoutException:
            return None
        took = time.monotonic() - t0
    if r.status_code != 200:
        raise RuntimeError(f"county report, {what}: HTTP {r.status_code}: {r.text[:300]}")
    return took


async def after_restart(proc, budget_s: float) -> dict[str, Any]:
    """Stop the reporting process, start it again on the same database and group, and time its first county
    read once /health answers (what the first viewer after a deploy or a crash waits)."""
    proc.stop()
    proc.spawn()
    healthy_at = await asyncio.to_thread(proc.wait_healthy)
    first = await one_read(proc.url, budget_s, "after restart")
    healthy = {"healthy_after_s": round(healthy_at - proc.spawned_at, 2)}
    if first is None:
        return {"first_s": None, "note": f"no answer within {budget_s:.0f} s", **healthy}
    return {"first_s": first, **healthy}


async def cold_read(url: str, budget_s: float) -> dict[str, Any]:
    """The process's first county read, timed apart: it tallies every township not stored yet from the facts
    (after a rebuild, all of them), which the reads after it do not; within it the p99 would be this one read's."""
    cold = await one_read(url, budget_s, "first read")
    return {"cold_s": cold} if cold is not None else {"cold_s": None, "cold_note": f"no answer within {budget_s:.0f} s"}


async def reads(url: str, n: int, budget_s: float) -> dict[str, Any]:
    """`n` sequential GETs of the county report, or as many as start within `budget_s` (each may take up to
    `budget_s` itself)."""
    latencies: list[float] = []
    note = ""
    info: dict[str, Any] = {}
    deadline = time.monotonic() + budget_s
    async with httpx.AsyncClient(headers=VIEWER) as client:
        for _ in range(n):
            if time.monotonic() > deadline:
                note = f"{len(latencies)} of {n} reads in the {budget_s:.0f} s budget"
                break
            t0 = time.monotonic()
            try:
                r = await client.get(f"{url}/api/v1/reports/county/{PERIOD}", timeout=budget_s)
            except httpx.TimeoutException:
                note = f"a read did not return within {budget_s:.0f} s ({len(latencies)} of {n} done)"
                break
            latencies.append(time.monotonic() - t0)
            if r.status_code != 200:
                raise RuntimeError(f"county report: HTTP {r.status_code}: {r.text[:300]}")
            if not info:
                body = r.json()
                info = {"townships": len(body["townships"]), "total_visits": body["total"]["visits"],
                        "response_bytes": len(r.content)}
    return {**summary(latencies), "first_s": latencies[0] if latencies else None, "note": note, **info}


async def small(ctx: Ctx) -> dict[str, Any]:
    """A fresh reporting process caught up on the first few events; the reads; the process stopped."""
    await ctx.produce_to(ctx.scale.p4_small_events)
    with ctx.clock.phase("P4 small: reporting catches up"):
        proc, fig = await catch_up(ctx, ctx.name("p4"), ctx.name("p4"), ctx.scale.consume_budget_s)
    try:
        if not fig["reached"]:
            return {"catch_up": fig, "error": f"lag 0 not reached in {ctx.scale.consume_budget_s:.0f} s"}
        with ctx.clock.phase("P4 small: first read"):
            cold = await cold_read(proc.url, ctx.scale.p4_cold_budget_s)
        with ctx.clock.phase("P4 small: reads"):
            result = {**cold, **await reads(proc.url, ctx.scale.p4_reads, ctx.scale.p4_budget_s)}
        with ctx.clock.phase("P4 small: restart, first read"):
            restart = await after_restart(proc, ctx.scale.p4_budget_s)
        return {"events": ctx.produced, "catch_up": fig, **result, "restart": restart}
    finally:
        proc.stop()


async def large(ctx: Ctx, db: Optional[str], group: Optional[str]) -> dict[str, Any]:
    """A reporting process on P3's rebuilt database, joined to the rebuild's consumer group (nothing left to
    consume), read as many times."""
    if db is None:
        return {"error": "P3's rebuild did not finish, so there is no database with every event"}
    ends = await rawkafka.end_offsets(ctx.stack.bootstrap, TOPICS)
    rebuild_group = f"{group}.g2"  # reporting.rebuild replays generation 2 of a fresh database under <group>.g2
    proc = ctx.procs.new("reporting", db, rebuild_group)
    with ctx.clock.phase("P4 large: start reporting"):
        proc.spawn()
        await asyncio.to_thread(proc.wait_healthy)
    try:
        async with rawkafka.Lag(ctx.stack.bootstrap, rebuild_group, ends) as lag:
            behind = sum(ends.values()) - await lag.committed()
        with ctx.clock.phase("P4 large: first read"):
            cold = await cold_read(proc.url, ctx.scale.p4_cold_budget_s)
        if cold["cold_s"] is None:
            return {"events": ctx.produced, "lag_at_start": behind, **cold, "note": cold["cold_note"]}
        with ctx.clock.phase("P4 large: reads"):
            result = {**cold, **await reads(proc.url, ctx.scale.p4_reads, ctx.scale.p4_budget_s)}
        with ctx.clock.phase("P4 large: restart, first read"):
            restart = await after_restart(proc, ctx.scale.p4_budget_s)
        return {"events": ctx.produced, "lag_at_start": behind, **result, "restart": restart}
    finally:
        proc.stop()


def row(ctx: Ctx, few: dict[str, Any], many: dict[str, Any]) -> Row:
    r = Row("P4", f"county {PERIOD} read p99", goal=f"ratio ≤ {GOAL}", raw={"small": few, "large": many})
    if few.get("p99") is not None:
        r.baseline = f"{ms(few['p99'])} @ {few['events']:,} ev (n={few['n']})"
    else:
        r.baseline = f"not measured: {few.get('error') or few.get('note')}"
    if many.get("p99") is not None:
        r.figure = f"{ms(many['p99'])} @ {many['events']:,} ev (n={many['n']})"
        if many.get("note"):
            r.note = many["note"]
    else:
        r.figure = f"not reached: {many.get('error') or many.get('note')}"
        r.met = False
    if few.get("cold_s") is not None or many.get("cold_s") is not None:
        cold = f"first (cold) read, apart: {ms(many.get('cold_s'))} vs {ms(few.get('cold_s'))}"
        r.note = "; ".join(x for x in (r.note, cold) if x)
    if many.get("p99") is not None and few.get("p99"):
        r.ratio = many["p99"] / few["p99"]
        r.met = r.ratio <= GOAL
    elif many.get("note", "").startswith("a read did not return") and few.get("p99"):
        r.ratio = ctx.scale.p4_budget_s / few["p99"]  # a lower bound
        r.note = "; ".join(x for x in (r.note, "ratio is a lower bound") if x)
    return r


def restart_row(few: dict[str, Any], many: dict[str, Any]) -> Row:
    r = Row("P4r", f"county {PERIOD} first read after a restart", goal=f"≤ {RESTART_GOAL_S:.0f} s",
            raw={"small": few.get("restart"), "large": many.get("restart")})
    small, large = few.get("restart") or {}, many.get("restart") or {}
    if small.get("first_s") is not None:
        r.baseline = f"{ms(small['first_s'])} @ {few['events']:,} ev"
    else:
        r.baseline = f"not measured: {small.get('note') or few.get('error') or few.get('note')}"
    if large.get("first_s") is not None:
        r.figure = f"{ms(large['first_s'])} @ {many['events']:,} ev"
        r.met = large["first_s"] <= RESTART_GOAL_S
        if small.get("first_s"):
            r.ratio = large["first_s"] / small["first_s"]
        r.note = f"healthy {large['healthy_after_s']:.1f} s after spawn, then the read"
    else:
        r.figure = f"not reached: {large.get('note') or many.get('error') or many.get('note')}"
        r.met = False
    return r
