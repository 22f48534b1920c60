"""P6: every request path flat in history. p99 of POST visit, GET enterprises, GET issues?status=open and a
township's monthly report, with H (full 100k, small 10k) stored visits and H stored issues, divided by the same
with 1k.

The history, and how it gets into the store fast without going around the services' own code:
- A county of `TOWNSHIPS` townships, each with two officials and `ENTERPRISES` enterprises, and the measured
  township's `OPEN_ISSUES` open issues: written by the services' own handlers (`visits.handlers`,
  `issues.handlers`) on their repositories, in this process, as the API would.
- One visit (`log_visit`) and one issue raised and closed (`raise_issue`, `close`) also through the handlers:
  the templates. Every other visit and issue of the history is a copy of its template with the ids, the
  enterprise, the township and the dates replaced everywhere (the document, its outbox entries with the
  event JSON and headers), bulk-inserted. So the documents have exactly the shape the current service code
  writes, whatever fields it adds. What a visit does to its enterprise document (the guard's visit log today)
  is read off the template: the fields the real `log_visit` changed on the enterprise are replayed for every
  copy (an array that grew by one element gets every copy's element; a counter its increment; any other field
  the latest copy's value). Writing 200k documents one request at a time costs ~2 writes each at ~1 ms on the
  H2 store, about 7 minutes; in bulk it is a fraction of that.
- The outbox entries of all of these are then published as the relay would: the relay's own `sweep` finds
  them, a bulk producer sends them (same topic, key, value, headers), the relay's own `mark` records them as
  sent. (The services' relays would do the same, but a relay drains a backlog only for half a lease term per
  sweep interval: 5 s in every 30 s.) The reporting service projects them from Kafka with its own consumer,
  so the township report's facts come the production way.

Each level is measured on freshly started services (visits, issues, reporting), once every event is consumed:
each path alone, one request at a time at `RATE`/s, `n` requests after a warm-up (the CPU each process spends
meanwhile is recorded); the POSTs are joint visits without demands, today, to the measured township. The report
read runs while such POSTs land at the same rate, so that it reads new facts as it would in the day (alone,
every read after the first would be a kept tally). 1k is measured first, then the history grown to H.
"""
from __future__ import annotations

import asyncio
import copy
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pymongo import AsyncMongoClient

from bench import rawkafka
from bench.client import Client
from bench.context import Ctx
from bench.events import REGIONS, uscc
from bench.measure import CpuShare, Row, ms, say, summary
from contracts.topics import INTAKE, ISSUES, VISITS

GOAL = 1.5
TOWNSHIPS = 10          # the history is spread over a county of this many; the first is measured
ENTERPRISES = 200       # per township
OPEN_ISSUES = 50        # the measured township's open issues (the same at both levels)
SMALL_HISTORY = 1_000
STEP = 10_000          # copies written and published per step
RATE = 10.0             # per path, requests per second (each path one request at a time)
WARMUP = 10
ADMIN = {"Authorization": "Bearer dev-county-admin"}
PATHS = ("POST visit", "GET enterprises", "GET issues?status=open", "GET township report")


def _replace(obj: Any, pairs: list[tuple[str, str]]) -> Any:
    """Every string inside `obj` with each (old, new) substring replaced; other values as they are."""
    if isinstance(obj, str):
        for old, new in pairs:
            if old in obj:
                obj = obj.replace(old, new)
        return obj
    if isinstance(obj, dict):
        return {_replace(k, pairs): _replace(v, pairs) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_replace(v, pairs) for v in obj]
    return obj


MISSING = object()


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """What one write did to a document: (field, "push" | "inc" | "set", the new element / increment / value)."""
    out = []
    for k, a in after.items():
        b = before.get(k, MISSING)
        if k == "_id" or a == b:
            continue
        if isinstance(a, list) and isinstance(b, list) and len(a) == len(b) + 1 and a[:len(b)] == b:
            out.append((k, "push", a[-1]))
        elif isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool):
            out.append((k, "inc", a - b))
        else:
            out.append((k, "set", a))
    return out


@dataclass
class History:
    """The county's history in the visits and issues databases of this P6, grown level by level."""
    client: AsyncMongoClient
    visits_db: str
    issues_db: str
    run_id: str
    rng: random.Random = field(default_factory=lambda: random.Random(66))
    townships: list[str] = field(default_factory=list)
    enterprises: dict[str, list[str]] = field(default_factory=dict)
    visits: int = 0
    issues: int = 0
    published: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def _time(self, name: str, t0: float) -> None:
        self.timings[name] = round(self.timings.get(name, 0.0) + time.monotonic() - t0, 1)

    async def setup(self) -> None:
        from issues import handlers as ih
        from issues.calendar import WorkCalendar, builtin_schedules
        from issues.repository import Repository as IssuesRepo
        from visits import handlers as vh
        from buildingblocks.clock import clock
        from visits.repository import Repository as VisitsRepo
        from visits.requests import EnterpriseIn, OfficialIn, VisitIn
        from issues.requests import CloseIn

        t0 = time.monotonic()
        self.today = clock.today()
        self.vrepo = VisitsRepo(self.client[self.visits_db])
        self.irepo = IssuesRepo(self.client[self.issues_db])
        await self.vrepo.ensure_indexes()
        await self.irepo.ensure_indexes()
        self.ictx = ih.Context(self.irepo, WorkCalendar(builtin_schedules()))
        self.townships = [f"p6-{self.run_id}-{k:02d}" for k in range(TOWNSHIPS)]
        registered = self.today - timedelta(days=800)
        gate = asyncio.Semaphore(8)

        async def enterprise(t: str, i: int, eid: str) -> None:
            async with gate:
                await vh.register_enterprise(self.vrepo, t, EnterpriseIn(
                    enterprise_id=eid, name=f"企业{t}-{i:04d}", category="industry", registered_on=registered,
                    assigned_official_ids=["o1"]), None)

        for t in self.townships:
            for o, rank in (("o1", "county"), ("o2", "township")):
                await vh.register_official(self.vrepo, t, OfficialIn(official_id=o, name=f"干部{o}", rank=rank), None)
            self.enterprises[t] = [uscc(self.rng, self.rng.choice(REGIONS)) for _ in range(ENTERPRISES)]
            await asyncio.gather(*(enterprise(t, i, e) for i, e in enumerate(self.enterprises[t])))
        measured = self.townships[0]
        for i in range(OPEN_ISSUES):
            await ih.raise_issue(self.ictx, measured, issue_id=f"i-open-{i:04d}", enterprise_id=self.enterprises[measured][i],
                                 category="labour", description="用工紧张", source="visit", by="bench",
                                 raised_on=self.today - timedelta(days=3), deadline=self.today + timedelta(days=30))
        self._time("setup through the handlers", t0)

        # The templates: one visit and one issue's life through the handlers, with values found nowhere else.
        t0 = time.monotonic()
        t, eid = self.townships[-1], self.enterprises[self.townships[-1]][-1]
        ent_coll = self.client[self.visits_db]["enterprises"]
        before = await ent_coll.find_one({"township": t, "enterprise_id": eid})
        self.tv_day = self.today - timedelta(days=401)
        made = await vh.log_visit(self.vrepo, t, VisitIn(
            enterprise_id=eid, visited_on=self.tv_day, visitor_ids=["o1", "o2"], channel="in_person", kind="joint",
            services=["policy"], summary="走访了解生产经营情况"), None)
        after = await ent_coll.find_one({"_id": before["_id"]})
        self.enterprise_changes = changed_fields(before, after)
        self.tv = await self.client[self.visits_db]["visits"].find_one({"township": t, "visit_id": made["visit_id"]})
        self.tv_enterprise_name = before["name"]
        self.ti_raised = self.today - timedelta(days=503)
        ti_id = f"i-{uuid.uuid4()}"
        await ih.raise_issue(self.ictx, t, issue_id=ti_id, enterprise_id=eid, category="financing",
                             description="融资难", source="visit", by="bench", raised_on=self.ti_raised,
                             deadline=self.ti_raised + timedelta(days=14))
        await ih.close(self.ictx, t, ti_id, CloseIn(closed_on=self.ti_raised + timedelta(days=3), outcome="resolved",
                                                    resolution="已协调解决", satisfaction="satisfied"), "bench")
        self.ti = await self.client[self.issues_db]["issues"].find_one({"township": t, "issue_id": ti_id})
        self.visits, self.issues = 1, 1
        self._time("templates through the handlers", t0)

    def _visit_copy(self, n: int) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        from buildingblocks.outbox import next_seq

        t = self.townships[n % TOWNSHIPS]
        i = self.rng.randrange(ENTERPRISES)
        eid = self.enterprises[t][i]
        day = self.today - timedelta(days=40 + self.rng.randrange(690))
        vid = f"v-{uuid.uuid4()}"
        # The name first: it contains the township's id, which the township's pair would change under it.
        pairs = [(self.tv_enterprise_name, f"企业{t}-{i:04d}"), (self.tv["visit_id"], vid),
                 (self.tv["enterprise_id"], eid), (self.tv["township"], t), (self.tv_day.isoformat(), day.isoformat())]
        pairs += [(e["id"], str(uuid.uuid4())) for e in self.tv.get("outbox", [])]
        doc = _replace(copy.deepcopy(self.tv), pairs)
        for e in doc.get("outbox", []):
            e["seq"] = next_seq()
        return doc, pairs

    def _issue_copy(self, n: int) -> dict[str, Any]:
        from buildingblocks.outbox import next_seq

        t = self.townships[n % TOWNSHIPS]
        eid = self.enterprises[t][self.rng.randrange(ENTERPRISES)]
        raised = self.today - timedelta(days=40 + self.rng.randrange(690))
        iid = f"i-{uuid.uuid4()}"
        r0 = self.ti_raised
        pairs = [(self.ti["issue_id"], iid), (self.ti["enterprise_id"], eid), (self.ti["township"], t),
                 (r0.isoformat(), raised.isoformat()),
                 ((r0 + timedelta(days=14)).isoformat(), (raised + timedelta(days=14)).isoformat()),
                 ((r0 + timedelta(days=3)).isoformat(), (raised + timedelta(days=3)).isoformat())]
        pairs += [(e["id"], str(uuid.uuid4())) for e in self.ti.get("outbox", [])]
        doc = _replace(copy.deepcopy(self.ti), pairs)
        for e in doc.get("outbox", []):
            e["seq"] = next_seq()
        return doc

    async def grow_to(self, total: int, chunk: int = 2000) -> None:
        """Add copies until `total` visits and `total` issues are stored; the enterprises get what each visit
        did to them."""
        t0 = time.monotonic()
        vcoll = self.client[self.visits_db]["visits"]
        icoll = self.client[self.issues_db]["issues"]
        per_enterprise: dict[tuple[str, str], list[list[tuple[str, str]]]] = {}
        while self.visits < total or self.issues < total:
            vdocs, idocs = [], []
            for _ in range(min(chunk, total - self.visits)):
                doc, pairs = self._visit_copy(self.visits)
                self.visits += 1
                vdocs.append(doc)
                per_enterprise.setdefault((doc["township"], doc["enterprise_id"]), []).append(pairs)
            for _ in range(min(chunk, total - self.issues)):
                idocs.append(self._issue_copy(self.issues))
                self.issues += 1
            await asyncio.gather(*(c.insert_many(d, ordered=False) for c, d in ((vcoll, vdocs), (icoll, idocs)) if d))
        self._time("copies bulk-inserted", t0)
        t0 = time.monotonic()
        ecoll = self.client[self.visits_db]["enterprises"]
        gate = asyncio.Semaphore(8)

        async def note(t: str, eid: str, all_pairs: list[list[tuple[str, str]]]) -> None:
            update: dict[str, dict[str, Any]] = {}
            for name, kind, value in self.enterprise_changes:
                if kind == "push":
                    update.setdefault("$push", {})[name] = {"$each": [_replace(value, p) for p in all_pairs]}
                elif kind == "inc":
                    update.setdefault("$inc", {})[name] = value * len(all_pairs)
                else:
                    update.setdefault("$set", {})[name] = _replace(value, all_pairs[-1])
            if update:
                async with gate:
                    await ecoll.update_one({"township": t, "enterprise_id": eid}, update)

        await asyncio.gather(*(note(t, e, p) for (t, e), p in per_enterprise.items()))
        self._time("enterprise changes replayed", t0)

    async def relay(self, bootstrap: str) -> int:
        """Publish every unsent outbox entry of both databases as their relays would, but in bulk."""
        from buildingblocks.outbox import Relay
        from issues.repository import OUTBOX_COLLECTIONS as ISSUES_OUTBOX
        from visits.repository import OUTBOX_COLLECTIONS as VISITS_OUTBOX

        t0 = time.monotonic()
        sent = 0
        for db, collections in ((self.visits_db, VISITS_OUTBOX), (self.issues_db, ISSUES_OUTBOX)):
            relay = Relay(None, self.client[db], collections, "bench-p6")
            pending = sorted(await relay.sweep(), key=lambda p: p.order)
            sent += await rawkafka.produce(bootstrap, (
                (p.entry["topic"], p.entry["key"], p.entry["value"].encode(),
                 [(k, v.encode()) for k, v in dict(p.entry["headers"]).items()]) for p in pending))
            for start in range(0, len(pending), 5000):
                await relay.mark(pending[start:start + 5000])
        self.published += sent
        self._time("outbox published in bulk", t0)
        return sent


async def paced(client: Client, method: str, path_of, body_of, n: int, ok: int) -> dict[str, Any]:
    """`n` requests one at a time, started every 1/RATE s (or when the last returns, if later); latency from
    each request's start. No new request starts after 1.5× the planned time + 20 s (a slow path then has fewer)."""
    loop = asyncio.get_running_loop()
    latencies, statuses = [], {}
    next_at = loop.time()
    stop_at = next_at + 1.5 * n / RATE + 20
    for i in range(n):
        if loop.time() > stop_at:
            statuses["not started (time budget)"] = n - i
            break
        delay = next_at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        next_at = max(next_at + 1 / RATE, loop.time())
        t0 = loop.time()
        try:
            status = str((await client.request(method, path_of(i), body_of(i) if body_of else None))[0])
        except Exception as exc:
            status = type(exc).__name__
        latencies.append(loop.time() - t0)
        statuses[status] = statuses.get(status, 0) + 1
    late = statuses.get("not started (time budget)", 0)
    return {**summary(latencies), "statuses": statuses, "not_ok": n - late - statuses.get(str(ok), 0), "not_started": late}


async def level(ctx: Ctx, h: History, dbs: dict[str, str], groups: dict[str, str], n: int) -> dict[str, Any]:
    """Start the three services on the history as it stands, wait until every event is consumed, measure the
    four paths at once, stop the services."""
    from contracts.envelope import CHINA
    from datetime import datetime

    t0 = time.monotonic()
    procs = {
        "visits": ctx.procs.new("visits", dbs["visits"]),
        "issues": ctx.procs.new("issues", dbs["issues"], groups["issues"]),
        "reporting": ctx.procs.new("reporting", dbs["reporting"], groups["reporting"]),
    }
    for p in procs.values():
        p.spawn()
    try:
        for p in procs.values():
            await asyncio.to_thread(p.wait_healthy, 120)
        caught: dict[str, Any] = {}
        for name, topics in (("reporting", [VISITS, ISSUES]), ("issues", [VISITS, INTAKE])):
            ends = await rawkafka.end_offsets(ctx.stack.bootstrap, topics)
            async with rawkafka.Lag(ctx.stack.bootstrap, groups[name], ends) as lag:
                seen = await lag.wait_zero(ctx.scale.consume_budget_s)
            if not seen["reached"]:
                raise TimeoutError(f"{name} did not consume the history in {ctx.scale.consume_budget_s:.0f} s "
                                   f"({seen['committed']:,}/{sum(ends.values()):,})")
            caught[name] = round(seen["at"] - t0, 1)
        t = h.townships[0]
        ents = h.enterprises[t]
        month = datetime.now(CHINA).date().isoformat()[:7]
        rng = random.Random(6)

        def visit(_i: int) -> dict:
            return {"enterprise_id": rng.choice(ents), "visited_on": h.today.isoformat(), "visitor_ids": ["o1", "o2"],
                    "channel": "in_person", "kind": "joint", "services": ["policy"], "summary": "基准走访"}

        specs = {
            "POST visit": (procs["visits"], "POST", lambda i: f"/api/v1/townships/{t}/visits", visit, 201),
            "GET enterprises": (procs["visits"], "GET", lambda i: f"/api/v1/townships/{t}/enterprises", None, 200),
            "GET issues?status=open": (procs["issues"], "GET", lambda i: f"/api/v1/townships/{t}/issues?status=open",
                                       None, 200),
            "GET township report": (procs["reporting"], "GET", lambda i: f"/api/v1/reports/{t}/{month}", None, 200),
        }
        clients = {name: Client(spec[0].url, ADMIN, timeout_s=60) for name, spec in specs.items()}
        pids = {**{name: p.proc.pid for name, p in procs.items()},
                **{name: int((ctx.stack.state / f"{name}.pid").read_text()) for name in ("kafka", "store")}}
        results: dict[str, dict[str, Any]] = {}

        def run_path(name: str):
            _p, method, path_of, body_of, ok = specs[name]
            return paced(clients[name], method, path_of, body_of, n, ok)

        def warm(name: str):  # just before the path's phase: uvicorn closes a connection idle for 5 s
            _p, method, path_of, body_of, ok = specs[name]
            return paced(clients[name], method, path_of, body_of, WARMUP, ok)

        try:
            # One path at a time, so that each figure is that path's own; the report read while the township's
            # visits land (else every read after the first is a kept tally, and nothing is measured).
            for name in PATHS:
                await warm(name)
                if name == "GET township report":
                    await warm("POST visit")
                with CpuShare(pids) as cpu:
                    if name == "GET township report":
                        results[name], _posts = await asyncio.gather(run_path(name), run_path("POST visit"))
                    else:
                        results[name] = await run_path(name)
                results[name]["cpu_s"] = {k: round(v, 2) for k, v in cpu.spent.items()}
        finally:
            for c in clients.values():
                await c.close()
        sizes = {
            "visits": await h.client[dbs["visits"]]["visits"].estimated_document_count(),
            "issues": await h.client[dbs["issues"]]["issues"].estimated_document_count(),
            "report_visit_facts": await h.client[dbs["reporting"]]["visits"].estimated_document_count(),
        }
        return {"paths": results, "consumed_after_s": caught, "stored": sizes}
    finally:
        for p in procs.values():
            p.stop()


async def run(ctx: Ctx) -> list[Row]:
    large_n = ctx.scale.p6_history
    dbs = {k: ctx.name(f"p6_{k}") for k in ("visits", "issues", "reporting")}
    groups = {"issues": ctx.name("p6_issues"), "reporting": ctx.name("p6_reporting")}
    await rawkafka.commit_at_end(ctx.stack.bootstrap, groups["issues"], [VISITS, INTAKE])
    await rawkafka.commit_at_end(ctx.stack.bootstrap, groups["reporting"], [VISITS, ISSUES])
    client = AsyncMongoClient(ctx.stack.mongo_uri, tz_aware=True)
    h = History(client, dbs["visits"], dbs["issues"], ctx.run_id)
    measured: dict[int, dict[str, Any]] = {}
    n = ctx.scale.p6_requests
    try:
        with ctx.clock.phase("P6 set-up through the handlers"):
            await h.setup()
        for total in (SMALL_HISTORY, large_n):
            with ctx.clock.phase(f"P6 history to {total:,}"):
                # In steps: the relay's sweep reads its whole backlog in one reply, and mongo-java-server sends a
                # query's result in one batch, which PyMongo refuses above 48 MB (~20k copies' outbox entries).
                while h.visits < total or h.issues < total:
                    await h.grow_to(min(total, max(h.visits, h.issues) + STEP))
                    await h.relay(ctx.stack.bootstrap)
            say(f"P6: {total:,} visits and issues stored, {h.published:,} events published; measuring")
            with ctx.clock.phase(f"P6 measure at {total:,}"):
                measured[total] = await level(ctx, h, dbs, groups, n)
    finally:
        await client.close()
    rows = []
    few, many = measured.get(SMALL_HISTORY), measured.get(large_n)
    for path in PATHS:
        r = Row("P6", f"{path} p99, history", goal=f"ratio ≤ {GOAL}")
        a = few["paths"][path] if few else None
        b = many["paths"][path] if many else None
        if a:
            r.baseline = f"{ms(a['p99'])} @ {SMALL_HISTORY:,} (p50 {ms(a['p50'])})"
        if b:
            r.figure = f"{ms(b['p99'])} @ {large_n:,} (p50 {ms(b['p50'])}, n={b['n']})"
        if a and b and a["p99"]:
            r.ratio = b["p99"] / a["p99"]
            r.met = r.ratio <= GOAL and not a["not_ok"] and not b["not_ok"]
        bad = [f"at {lvl:,}: {x['not_ok']} not {'201' if path.startswith('POST') else '200'} {x['statuses']}"
               for lvl, x in ((SMALL_HISTORY, a), (large_n, b)) if x and x["not_ok"]]
        bad += [f"at {lvl:,}: only {x['n']} of {n} requests within the time budget"
                for lvl, x in ((SMALL_HISTORY, a), (large_n, b)) if x and x["not_started"]]
        if b and b.get("cpu_s") and b["n"]:
            top = sorted(b["cpu_s"].items(), key=lambda kv: -kv[1])[:3]
            bad.append(f"CPU per request at {large_n:,}: " + ", ".join(f"{k} {v / b['n'] * 1000:.0f} ms" for k, v in top)
                       + (" (with the POSTs that run beside it)" if path == "GET township report" else ""))
        r.note = "; ".join(bad)
        r.raw = {"small": a, "large": b}
        rows.append(r)
    rows[0].raw["history"] = {"timings_s": h.timings, "published": h.published, "townships": TOWNSHIPS,
                              "enterprises_per_township": ENTERPRISES, "open_issues": OPEN_ISSUES,
                              "enterprise_changes_replayed": [(f, k) for f, k, _ in h.enterprise_changes],
                              "levels": {k: {kk: vv for kk, vv in v.items() if kk != "paths"} for k, v in measured.items()}}
    return rows
