"""`python -m bench [--scale small|full]`: start a private Kafka + store (mongo-java-server, H2 file backend), measure
P1–P6 each beside a baseline taken in the same run, print the table, write bench/last-run.md and
bench/last-run.json, stop everything."""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Awaitable, Callable

from bench import live, p1_throughput, p2_freshness, p3_rebuild, p4_county_read, p5_post_latency, p6_history, report
from bench.context import SCALES, Ctx
from bench.measure import Row, say
from bench.stack import Processes, Stack


async def guarded(ctx: Ctx, p: str, what: str, cap_s: float, make: Callable[[], Awaitable[Row]],
                  keep_processes: bool = False) -> Row:
    """One P: its row, or a row that says it timed out or failed, never a hang. A P that fails has the service
    processes it started stopped at once (unless `keep_processes`: P5 runs on P2's)."""
    say(f"{p}: {what} …")
    t0 = time.monotonic()
    started_before = len(ctx.procs.started)
    try:
        row = await asyncio.wait_for(make(), timeout=cap_s)
    except asyncio.TimeoutError:
        row = Row(p, what, figure=f"not reached in {cap_s:.0f} s (hard cap)", met=False)
    except Exception as exc:  # a P that breaks still gives its row; the others go on
        row = Row(p, what, figure=f"error: {type(exc).__name__}", note=f"{type(exc).__name__}: {exc}"[:400])
    if row.figure.startswith(("error", "not reached in")) and not keep_processes:
        for proc in ctx.procs.started[started_before:]:
            proc.stop(grace_s=5)
    row.seconds = time.monotonic() - t0
    say(f"{p}: {row.figure} | baseline {row.baseline} ({row.seconds:.0f} s)")
    return row


ALL = ("P1", "P2", "P3", "P4", "P5", "P6")


def skipped(p: str, why: str = "not selected (--only)") -> Row:
    return Row(p, "skipped", figure=why)


async def run(ctx: Ctx, only: set[str]) -> list[Row]:
    s = ctx.scale
    rows: dict[str, list[Row]] = {p: [skipped(p)] for p in ALL}
    p4_small: dict = {}

    async def p4a() -> Row:
        p4_small.update(await p4_county_read.small(ctx))
        return Row("P4", "small side", figure="(measured)")

    if "P4" in only:
        await guarded(ctx, "P4", f"county report read at {s.p4_small_events:,} events",
                      s.consume_budget_s + s.p4_cold_budget_s + 2 * s.p4_budget_s + 600, p4a)
        if not p4_small:
            p4_small["error"] = "the small-side measurement failed (see the log above)"
    if "P1" in only:
        rows["P1"] = [await guarded(ctx, "P1", "projector throughput", s.consume_budget_s + 1200,
                                   lambda: p1_throughput.run(ctx))]
    rebuilt: dict = {}

    async def p3() -> Row:
        row, where = await p3_rebuild.run(ctx)
        if where:
            rebuilt["where"] = where
        return row

    if "P3" in only or "P4" in only:  # P4's large side reads P3's rebuilt database
        rows["P3"] = [await guarded(ctx, "P3", "rebuild throughput", 2 * s.rebuild_budget_s + 1800, p3)]

    p4_large: dict = {}

    async def p4b() -> Row:
        db, group = rebuilt.get("where", (None, None))
        p4_large.update(await p4_county_read.large(ctx, db, group))
        return p4_county_read.row(ctx, p4_small, p4_large)

    if "P4" in only:
        rows["P4"] = [await guarded(ctx, "P4", f"county report read at {ctx.produced:,} events",
                                    s.p4_cold_budget_s + 3 * s.p4_budget_s + 300, p4b)]
        rows["P4"].append(p4_county_read.restart_row(p4_small, p4_large or {"error": rows["P4"][0].figure}))

    system: dict = {}

    async def p2() -> Row:
        with ctx.clock.phase("start visits + issues + reporting"):
            system["live"] = await live.start(ctx)
        return await p2_freshness.run(ctx, system["live"])

    if "P2" in only or "P5" in only:  # P5 runs on the services P2 starts
        rows["P2"] = [await guarded(ctx, "P2", "freshness", s.p2_seconds + 600, p2, keep_processes=True)]

    async def p5() -> Row:
        if "live" not in system:
            raise RuntimeError("the services did not start for P2")
        for proc in (system["live"].visits, system["live"].issues, system["live"].reporting):
            if proc.proc.poll() is not None:
                raise RuntimeError(f"{proc.module} exited ({proc.proc.returncode}); see {proc.log_path}")
        return await p5_post_latency.run(ctx, system["live"])

    if "P5" in only:
        rows["P5"] = [await guarded(ctx, "P5", "POST visit latency", 2 * s.p5_seconds + 400, p5)]
    if "live" in system:
        system["live"].stop()

    p6_rows: list[Row] = []

    async def p6() -> Row:
        p6_rows.extend(await p6_history.run(ctx))
        worst = max((r.ratio for r in p6_rows if r.ratio is not None), default=None)
        return Row("P6", "all paths", figure="(measured)" if worst is None else f"worst ratio {worst:.2f}")

    if "P6" in only:
        summary_row = await guarded(ctx, "P6", f"request paths at 1k and {s.p6_history:,} stored visits and issues",
                                    2 * s.consume_budget_s + 1800, p6)
        rows["P6"] = p6_rows or [summary_row]
    return [r for k in ALL for r in rows[k]]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--only", default=",".join(ALL), metavar="P1,P3,…",
                        help="measure only these (P4 also runs P3, whose database it reads; P5 also runs P2)")
    args = parser.parse_args(argv)
    only = {p.strip().upper() for p in args.only.split(",") if p.strip()}
    if not only or only - set(ALL):
        parser.error(f"--only: choose among {', '.join(ALL)}")
    scale = SCALES[args.scale]
    stack = Stack()
    procs = Processes(stack)
    ctx = Ctx(scale, stack, procs)
    t0 = time.monotonic()
    rows: list[Row] = []
    try:
        say(f"scale {scale.name}: starting Kafka :{stack.kafka_port} and the store :{stack.mongo_port} in {stack.state}")
        with ctx.clock.phase("stack start"):
            stack.start()
        rows = asyncio.run(run(ctx, only))
    finally:
        say("stopping the services and the stack")
        procs.stop_all()
        with ctx.clock.phase("stack stop"):
            stack.stop()
    ctx.clock.phases["total"] = round(time.monotonic() - t0, 1)
    mach = report.machine(scale.name)
    print(report.table(rows))
    print(f"\n{scale.name} scale, {ctx.produced:,} events produced; {mach['nproc']} × {mach['cpu']}; "
          f"total {ctx.clock.phases['total']:.0f} s; details in bench/last-run.md and bench/last-run.json")
    report.write(rows, mach, ctx.clock.phases, {"events": ctx.raw.get("produced"), "scale": vars(scale)})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
