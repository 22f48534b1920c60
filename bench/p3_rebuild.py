"""P3: `python -m reporting.rebuild` over M events vs a raw aiokafka read of the same topics + JSON decode + bulk
insert into the same store (the limit any projector faces; the raw read alone beside it)."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from typing import Any, Optional

from bench import rawkafka
from bench.context import Ctx
from bench.measure import Row, rate
from bench.p1_throughput import TOPICS
from bench.stack import ROOT

GOAL = 0.4
BATCH = 5000  # reporting.rebuild's max_records


async def rebuild(ctx: Ctx, db: str, group: str, budget_s: float) -> dict[str, Any]:
    """Run the rebuild as the operator would (the service's variables), timed from spawn to exit."""
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": ctx.stack.bootstrap, "MONGODB_URI": ctx.stack.mongo_uri,
           "MONGODB_DB": db, "CONSUMER_GROUP": group}
    log_path = ctx.stack.state / "logs" / "rebuild.log"
    pid_path = ctx.stack.state / "services" / "rebuild.pid"
    pid_path.parent.mkdir(parents=True, exist_ok=True)
    ends = await rawkafka.end_offsets(ctx.stack.bootstrap, TOPICS)
    with open(log_path, "ab") as log:
        t0 = time.monotonic()
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "reporting.rebuild", env=env, cwd=ROOT,
                                                    stdout=log, stderr=log)
    pid_path.write_text(str(proc.pid))
    progress: list[tuple[float, int]] = []

    async def watch() -> None:  # the replay's committed offsets every 5 s: does the rate hold as the store grows?
        async with rawkafka.Lag(ctx.stack.bootstrap, f"{group}.g2", ends) as lag:
            while True:
                progress.append((round(time.monotonic() - t0, 1), await lag.committed()))
                await asyncio.sleep(5)

    watcher = asyncio.ensure_future(watch())
    try:
        code = await asyncio.wait_for(proc.wait(), timeout=budget_s)
        seconds = time.monotonic() - t0
    except asyncio.TimeoutError:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        seconds = time.monotonic() - t0
        async with rawkafka.Lag(ctx.stack.bootstrap, f"{group}.g2", ends) as lag:
            done = await lag.committed()
        return {"reached": False, "seconds": seconds, "committed": done, "events": sum(ends.values()),
                "rate": done / seconds, "progress": progress}
    finally:
        watcher.cancel()
        if proc.returncode is None:  # cancelled from outside (the hard cap): never leave it running
            proc.kill()
            await proc.wait()
        pid_path.unlink(missing_ok=True)
    output = log_path.read_text(errors="replace")
    if code != 0 or "generation 2 is active" not in output:
        raise RuntimeError(f"reporting.rebuild exited with {code}: {output[-1500:]}")
    total = sum(ends.values())
    return {"reached": True, "seconds": seconds, "events": total, "rate": total / seconds,
            "progress": [*progress, (round(seconds, 1), total)]}


async def run(ctx: Ctx) -> tuple[Row, Optional[tuple[str, str]]]:
    """The row, and (database, group) of the rebuilt projections when the rebuild finished."""
    row = Row("P3", "rebuild throughput", goal=f"ratio ≥ {GOAL}")
    await ctx.produce_to(ctx.scale.p3_events)
    with ctx.clock.phase("P3 baseline: raw read"):
        raw = await rawkafka.raw_read(ctx.stack.bootstrap, TOPICS, ctx.name("p3raw"))
    raw_rate = raw["records"] / raw["seconds"]
    with ctx.clock.phase("P3 baseline: read + decode + bulk insert"):
        base = await rawkafka.read_decode_insert(ctx.stack.bootstrap, TOPICS, ctx.name("p3rdi"), ctx.stack.mongo_uri,
                                                 ctx.name("p3rdi"), batch=BATCH, timeout_s=ctx.scale.rebuild_budget_s)
    base_rate = base["records"] / base["seconds"]  # start to commit, as the rebuild is timed from spawn to exit
    row.baseline = (f"{rate(base_rate)} (read + json + insert_many {BATCH}, {base['records']:,} in "
                    f"{base['seconds']:.1f} s; raw read {rate(raw_rate)})")
    db, group = ctx.name("p3"), ctx.name("p3")
    with ctx.clock.phase("P3 figure: reporting.rebuild"):
        fig = await rebuild(ctx, db, group, ctx.scale.rebuild_budget_s)
    row.raw = {"baseline": {**base, "whole_rate": base_rate}, "raw_read": {**raw, "whole_rate": raw_rate}, "figure": fig}
    row.ratio = fig["rate"] / base_rate
    row.note = f"ratio to the raw read alone {fig['rate'] / raw_rate:.3f}"
    if not fig["reached"]:
        row.figure = (f"not reached in {ctx.scale.rebuild_budget_s:.0f} s "
                      f"({fig['committed']:,}/{fig['events']:,} replayed, ~{rate(fig['rate'])})")
        row.met = False
        return row, None
    row.figure = f"{rate(fig['rate'])} ({fig['events']:,} in {fig['seconds']:.1f} s)"
    row.met = row.ratio >= GOAL
    return row, (db, group)
