"""P5: POST /visits p99 at 200 req/s (open loop; the visit and its outbox entry in one write) vs the same
service's no-op GET /livez at the same rate, one after the other in the same run."""
from __future__ import annotations

import asyncio
import random
from typing import Any, Awaitable, Callable

from bench import live as livemod
from bench.client import Client
from bench.context import Ctx
from bench.measure import CpuShare, LoopLag, Row, ms, open_loop, summary

RATE = 200.0
GOAL_S = 0.050


async def paced(duration_s: float, call: Callable[[], Awaitable[tuple[int, bytes]]], ok: int) -> dict[str, Any]:
    """Open-loop calls at RATE; each latency from its scheduled start (a timeout counts with its time)."""
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    loop = asyncio.get_running_loop()

    async def one(_i: int, at: float) -> None:
        try:
            status = str((await call())[0])
        except asyncio.CancelledError:  # still waiting when the run ended: counted with the time it had waited
            latencies.append(loop.time() - at)
            statuses["unfinished"] = statuses.get("unfinished", 0) + 1
            raise
        except Exception as exc:  # a timeout or a broken connection: counted, with its time
            status = type(exc).__name__
        latencies.append(loop.time() - at)
        statuses[status] = statuses.get(status, 0) + 1

    with LoopLag() as lag:
        _results, worst_lag = await open_loop(RATE, duration_s, one)
    n = int(RATE * duration_s)
    return {**summary(latencies), "statuses": statuses, "not_ok": n - statuses.get(str(ok), 0),
            "ok_per_s": statuses.get(str(ok), 0) / duration_s, "worst_start_lag_s": worst_lag,
            "bench_loop_lag": lag.summary()}


async def run(ctx: Ctx, live: livemod.Live) -> Row:
    row = Row("P5", "POST visit p99 @200/s", goal=f"p99 ≤ {GOAL_S * 1000:.0f} ms")
    township = f"p5-{ctx.run_id}"
    with ctx.clock.phase("P5 set-up (township, 200 enterprises)"):
        enterprise_ids = await livemod.township(live, township, 200, seed=5)
    rng = random.Random(55)
    path = f"/api/v1/townships/{township}/visits"
    async with Client(live.visits.url, livemod.ADMIN, timeout_s=10) as client:
        def livez():
            return client.request("GET", "/livez")

        def post():
            return client.request("POST", path, livemod.visit_body(rng, enterprise_ids))

        with ctx.clock.phase("P5 run (livez, then POST)"):
            for _ in range(20):  # warm the connections and the code paths, not measured
                await livez()
            for _ in range(5):
                await post()
            base = await paced(ctx.scale.p5_seconds, livez, 200)
            pids = {"visits": live.visits.proc.pid, "issues": live.issues.proc.pid, "reporting": live.reporting.proc.pid,
                    **{name: int((ctx.stack.state / f"{name}.pid").read_text()) for name in ("kafka", "store")}}
            with CpuShare(pids) as cpu:
                fig = await paced(ctx.scale.p5_seconds, post, 201)
    row.raw = {"figure": fig, "baseline": base}
    row.baseline = f"p99 {ms(base['p99'])} (GET /livez, p50 {ms(base['p50'])})"
    row.figure = f"p99 {ms(fig['p99'])} (p50 {ms(fig['p50'])}, n={fig['n']})"
    if fig["p99"] is not None and base["p99"]:
        row.ratio = fig["p99"] / base["p99"]
    row.met = fig["p99"] is not None and fig["p99"] <= GOAL_S and fig["not_ok"] == 0
    notes = [cpu.per(fig["statuses"].get("201", 0))]
    if fig["not_ok"]:
        notes.append(f"{fig['not_ok']} of {int(RATE * ctx.scale.p5_seconds)} POSTs not 201 within 10 s "
                     f"{fig['statuses']} "
                     "(latencies of those that never returned count as the time they waited: the p99 is a lower bound)")
    if base["not_ok"]:
        notes.append(f"{base['not_ok']} livez not 200: {base['statuses']}")
    row.note = "; ".join(n for n in notes if n)
    return row
