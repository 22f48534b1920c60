"""P2: freshness — a visit POSTed (201) until its count shows in the township's monthly report, at 50 visits/s,
vs the raw Kafka produce→consume latency of the same kind of events at the same rate, side by side."""
from __future__ import annotations

import asyncio
import bisect
import json
import random
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench import events, live as livemod, rawkafka
from bench.context import Ctx
from bench.client import Client
from bench.measure import LoopLag, Row, ms, open_loop, summary
from contracts.topics import PARTITIONS, VISITS

RATE = 50.0
POLL_S = 0.05
GOAL_S = 1.0
LATENCY_TOPIC = "bench.latency"


async def kafka_baseline(ctx: Ctx, duration_s: float, stop_after_s: float = 10.0) -> dict[str, Any]:
    """aiokafka producer (acks=all, idempotent, as the services' broker) → consumer timestamping receipt."""
    await rawkafka.create_topic(ctx.stack.bootstrap, LATENCY_TOPIC)
    consumer = AIOKafkaConsumer(bootstrap_servers=ctx.stack.bootstrap, enable_auto_commit=False)
    producer = AIOKafkaProducer(bootstrap_servers=ctx.stack.bootstrap, enable_idempotence=True)
    await consumer.start()
    await producer.start()
    sent: dict[int, float] = {}
    received: dict[int, float] = {}
    try:
        parts = await rawkafka.partitions(ctx.stack.bootstrap, [LATENCY_TOPIC])
        consumer.assign(parts)
        await consumer.seek_to_end(*parts)
        for tp in parts:
            await consumer.position(tp)
        n = int(RATE * duration_s)

        async def receive() -> None:
            while len(received) < n:
                for records in (await consumer.getmany(timeout_ms=100)).values():
                    now = time.monotonic()
                    for rec in records:
                        received[int(dict(rec.headers)["bench-seq"])] = now

        rng = random.Random(7)
        day = livemod.today()

        async def send(i: int, _at: float) -> None:
            eid = events.uscc(rng, "610422")
            value = events.visit_logged("p2-kafka", eid, f"v-{i}", day, f"{ctx.run_id}-lat-{i}")
            sent[i] = time.monotonic()
            await producer.send_and_wait(LATENCY_TOPIC, value, key=eid.encode(),
                                         headers=[*events.CE_HEADERS, ("bench-seq", str(i).encode())])

        receiver = asyncio.ensure_future(receive())
        await open_loop(RATE, duration_s, send)
        try:
            await asyncio.wait_for(receiver, timeout=stop_after_s)
        except asyncio.TimeoutError:
            pass
    finally:
        await producer.stop()
        await consumer.stop()
    lat = [received[i] - sent[i] for i in sent if i in received]
    return {**summary(lat), "lost": len(sent) - len(lat), "partitions": PARTITIONS}


class Tap:
    """Watches visits.v1 from its current end: when each VisitLogged of `township` arrives (bench clock), to
    split a visit's freshness into POST→on Kafka (the outbox relay) and on Kafka→in the report (the projector)."""

    def __init__(self, ctx: Ctx, township: str):
        self.bootstrap = ctx.stack.bootstrap
        self.consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        self.township = township
        self.seen: dict[str, float] = {}
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        await self.consumer.start()
        parts = await rawkafka.partitions(self.bootstrap, [VISITS])
        self.consumer.assign(parts)
        await self.consumer.seek_to_end(*parts)
        for tp in parts:
            await self.consumer.position(tp)
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while True:
            for records in (await self.consumer.getmany(timeout_ms=100)).values():
                now = time.monotonic()
                for rec in records:
                    body = json.loads(rec.value)
                    if body.get("type") == "VisitLogged" and body.get("township") == self.township:
                        self.seen.setdefault(body["data"]["visit_id"], now)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        await self.consumer.stop()


async def run(ctx: Ctx, live: livemod.Live) -> Row:
    row = Row("P2", "freshness POST→report", goal=f"p99 ≤ {GOAL_S:g} s")
    township = f"p2-{ctx.run_id}"
    with ctx.clock.phase("P2 set-up (township, 100 enterprises)"):
        enterprise_ids = await livemod.township(live, township, 100, seed=2)
    polls: list[tuple[float, int]] = []
    read_times: list[float] = []
    stop = asyncio.Event()
    report_path = f"/api/v1/reports/{township}/{livemod.today()[:7]}"

    async def poller() -> None:
        async with Client(live.reporting.url, livemod.VIEWER, timeout_s=60) as client:
            while not stop.is_set():
                t0 = time.monotonic()
                try:
                    status, rep = await client.get_json(report_path)
                except Exception:  # a slow or broken read: try again
                    status, rep = 0, None
                now = time.monotonic()
                read_times.append(now - t0)
                if status == 200:
                    polls.append((now, rep["visits"]))
                await asyncio.sleep(max(0.0, POLL_S - (now - t0)))

    rng = random.Random(22)
    created: list[float] = []
    created_by_id: dict[str, float] = {}
    post_latency: list[float] = []
    statuses: dict[str, int] = {}
    tap = Tap(ctx, township)
    await tap.start()
    loop = asyncio.get_running_loop()
    duration = ctx.scale.p2_seconds
    try:
        async with Client(live.visits.url, livemod.ADMIN, timeout_s=30) as client:
            path = f"/api/v1/townships/{township}/visits"

            async def post(i: int, at: float) -> None:
                content = b""
                try:
                    code, content = await client.request("POST", path, livemod.visit_body(rng, enterprise_ids))
                    status = str(code)
                except Exception as exc:
                    status = type(exc).__name__
                now = time.monotonic()
                post_latency.append(loop.time() - at)
                statuses[status] = statuses.get(status, 0) + 1
                if status == "201":
                    created.append(now)
                    created_by_id[json.loads(content)["visit_id"]] = now

            with ctx.clock.phase("P2 run (visits + raw Kafka side by side)"), LoopLag() as lag:
                poll_task = asyncio.ensure_future(poller())
                base_task = asyncio.ensure_future(kafka_baseline(ctx, duration))
                results, worst_lag = await open_loop(RATE, duration, post, drain_s=60)
                # Every created visit must show up: wait for the count (or give up after 60 s).
                deadline = time.monotonic() + 60
                while (not polls or polls[-1][1] < len(created)) and time.monotonic() < deadline:
                    await asyncio.sleep(0.1)
                stop.set()
                await poll_task
                base = await base_task
    finally:
        await tap.stop()
    errors = [repr(r) for r in results if isinstance(r, BaseException)]
    created.sort()
    poll_times = [t for t, _ in polls]
    counts = [c for _, c in polls]
    latencies, missing = [], 0
    for k, t_created in enumerate(created, start=1):
        j = bisect.bisect_left(counts, k)  # counts are monotonic: the first poll that shows the k-th visit
        if j == len(counts):
            missing += 1
            continue
        latencies.append(max(0.0, poll_times[j] - t_created))
    fig = summary(latencies)
    # The split: POST→on Kafka per visit (by id), on Kafka→in the report by count as above.
    relay = [tap.seen[v] - t for v, t in created_by_id.items() if v in tap.seen]
    seen_sorted = sorted(tap.seen[v] for v in created_by_id if v in tap.seen)
    projector = []
    for k, t_seen in enumerate(seen_sorted, start=1):
        j = bisect.bisect_left(counts, k)
        if j < len(counts):
            projector.append(max(0.0, poll_times[j] - t_seen))
    row.raw = {"figure": {**fig, "created": len(created), "missing": missing, "statuses": statuses,
                          "unfinished": errors[:3], "n_unfinished": len(errors), "worst_start_lag_s": worst_lag,
                          "bench_loop_lag": lag.summary(),
                          "report_read": summary(read_times), "polls": len(polls),
                          "post_latency": summary(post_latency), "post_to_kafka": summary(relay),
                          "kafka_to_report": summary(projector)},
               "baseline": base}
    row.baseline = f"p50 {ms(base['p50'])} / p99 {ms(base['p99'])} (raw Kafka)"
    if missing or not latencies:
        row.figure = f"{missing} of {len(created)} visits not in the report 60 s after the last POST"
        row.met = False
    else:
        row.figure = f"p50 {ms(fig['p50'])} / p99 {ms(fig['p99'])} (n={fig['n']})"
        row.met = fig["p99"] <= GOAL_S
    if fig["p99"] is not None and base["p99"]:
        row.ratio = fig["p99"] / base["p99"]
    bad = sum(v for s, v in statuses.items() if s != "201") + len(errors)
    accepted = len(created) / (created[-1] - created[0]) if len(created) > 1 and created[-1] > created[0] else 0.0
    row.raw["figure"]["accepted_per_s"] = accepted
    if bad:
        row.note = (f"{bad} of {int(RATE * duration)} POSTs not 201 {statuses} (visits answered 201 at "
                    f"{accepted:.1f}/s of {RATE:g}/s offered; a POST that timed out may still be stored, so the "
                    f"count matching is approximate)")
    split = (f"POST p99 {ms(summary(post_latency)['p99'])}; POST→on Kafka p50/p99 {ms(summary(relay)['p50'])}/"
             f"{ms(summary(relay)['p99'])} (outbox relay); on Kafka→in report p50/p99 "
             f"{ms(summary(projector)['p50'])}/"
             f"{ms(summary(projector)['p99'])} (projector + read); report read p50 {ms(summary(read_times)['p50'])}")
    row.note = "; ".join(x for x in (row.note, split) if x)
    return row
