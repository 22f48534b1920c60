"""P1: the reporting projector's throughput vs the limit any projector faces: a raw aiokafka read of the same
topics + JSON decode + bulk insert of the decoded events into the same store (the raw read alone beside it)."""
from __future__ import annotations

import asyncio

from bench import rawkafka
from bench.context import Ctx
from bench.measure import Row, rate
from contracts.topics import ISSUES, VISITS

TOPICS = [VISITS, ISSUES]
GOAL = 0.5
BATCH = 2000  # the reporting consumer's max_records


async def catch_up(ctx: Ctx, db: str, group: str, budget_s: float):
    """A reporting process with database `db` and group `group` consuming until its committed lag is 0.
    Returns (the process, still running; its timings). `rate` runs from the first poll that saw a commit to
    lag 0 (the process's start-up and group join left out); `reached` is False when the budget ran out."""
    ends = await rawkafka.end_offsets(ctx.stack.bootstrap, TOPICS)
    total = sum(ends.values())
    proc = ctx.procs.new("reporting", db, group).spawn()
    healthy_at = await asyncio.to_thread(proc.wait_healthy)
    async with rawkafka.Lag(ctx.stack.bootstrap, group, ends) as lag:
        seen = await lag.wait_zero(budget_s - (healthy_at - proc.spawned_at), every_s=0.2)
    first_at = seen["first_at"] or seen["at"]
    seconds = seen["at"] - first_at
    steady = (seen["committed"] - seen["first_committed"]) / seconds if seconds > 0 else 0.0
    return proc, {"events": total, "reached": seen["reached"], "committed": seen["committed"],
                  "seconds": round(seconds, 2), "from_spawn_s": round(seen["at"] - proc.spawned_at, 2),
                  "healthy_after_s": round(healthy_at - proc.spawned_at, 2), "rate": steady,
                  "progress": seen["samples"]}


async def run(ctx: Ctx) -> Row:
    row = Row("P1", "projector throughput", goal=f"ratio ≥ {GOAL}")
    await ctx.produce_to(ctx.scale.p1_events)
    with ctx.clock.phase("P1 baseline: raw read"):
        raw = await rawkafka.raw_read(ctx.stack.bootstrap, TOPICS, ctx.name("p1raw"))
    with ctx.clock.phase("P1 baseline: read + decode + bulk insert"):
        base = await rawkafka.read_decode_insert(ctx.stack.bootstrap, TOPICS, ctx.name("p1rdi"), ctx.stack.mongo_uri,
                                                 ctx.name("p1rdi"), batch=BATCH)
    base_rate = base["rate"]
    row.baseline = (f"{rate(base_rate)} (read + json + insert_many {BATCH}, {base['records']:,} in "
                    f"{base['seconds']:.1f} s; raw read {rate(raw['rate'])})")
    with ctx.clock.phase("P1 figure: reporting catches up"):
        proc, fig = await catch_up(ctx, ctx.name("p1"), ctx.name("p1"), ctx.scale.consume_budget_s)
        proc.stop()
    row.raw = {"baseline": base, "raw_read": raw, "figure": fig}
    if not fig["reached"]:
        row.figure = (f"not reached in {ctx.scale.consume_budget_s:.0f} s "
                      f"({fig['committed']:,}/{fig['events']:,} committed, ~{rate(fig['rate'])})")
        row.ratio = fig["rate"] / base_rate
        row.met = False
        row.note = f"ratio to the raw read alone {fig['rate'] / raw['rate']:.3f}"
        return row
    row.figure = f"{rate(fig['rate'])} ({fig['events']:,}, lag 0 after {fig['from_spawn_s']:.1f} s from spawn)"
    row.ratio = fig["rate"] / base_rate
    row.met = row.ratio >= GOAL
    row.note = f"ratio to the raw read alone {fig['rate'] / raw['rate']:.3f}"
    return row

