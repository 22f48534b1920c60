"""The whole system live for P2 and P5: visits, issues and reporting with fresh databases, their consumer groups
moved to the end of the topics first (so they skip the bulk events of P1/P3), and a township set up through
the visits API."""
from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from datetime import datetime

import httpx

from bench import rawkafka
from bench.context import Ctx
from bench.events import REGIONS, uscc
from bench.stack import ServiceProcess
from contracts.envelope import CHINA
from contracts.topics import INTAKE, ISSUES, VISITS

ADMIN = {"Authorization": "Bearer dev-county-admin"}
VIEWER = {"Authorization": "Bearer dev-county-viewer"}
OFFICIALS = [{"official_id": "o1", "name": "王县长", "rank": "county"},
             {"official_id": "o2", "name": "李镇长", "rank": "township"}]


@dataclass
class Live:
    visits: ServiceProcess
    issues: ServiceProcess
    reporting: ServiceProcess

    def stop(self) -> None:
        for p in (self.visits, self.issues, self.reporting):
            p.stop()


async def start(ctx: Ctx) -> Live:
    issues_group, reporting_group = ctx.name("live_issues"), ctx.name("live_reporting")
    await rawkafka.commit_at_end(ctx.stack.bootstrap, issues_group, [VISITS, INTAKE])
    await rawkafka.commit_at_end(ctx.stack.bootstrap, reporting_group, [VISITS, ISSUES])
    live = Live(
        ctx.procs.new("visits", ctx.name("live_visits")),
        ctx.procs.new("issues", ctx.name("live_issues"), issues_group),
        ctx.procs.new("reporting", ctx.name("live_reporting"), reporting_group),
    )
    for p in (live.visits, live.issues, live.reporting):
        p.spawn()
    for p in (live.visits, live.issues, live.reporting):
        await asyncio.to_thread(p.wait_healthy)
    return live


def today() -> str:
    return datetime.now(CHINA).date().isoformat()


async def township(live: Live, name: str, enterprises: int, seed: int) -> list[str]:
    """Two officials and `enterprises` enterprises registered today; waits until reporting has them all."""
    rng = random.Random(seed)
    ids = [uscc(rng, rng.choice(REGIONS)) for _ in range(enterprises)]
    base = f"{live.visits.url}/api/v1/townships/{name}"
    async with httpx.AsyncClient(headers=ADMIN, timeout=30) as client:
        for o in OFFICIALS:
            r = await client.post(f"{base}/officials", json=o)
            if r.status_code != 201:
                raise RuntimeError(f"POST officials: {r.status_code} {r.text[:300]}")
        gate = asyncio.Semaphore(8)

        async def register(i: int, eid: str) -> None:
            async with gate:
                r = await client.post(f"{base}/enterprises", json={
                    "enterprise_id": eid, "name": f"基准企业{i}", "category": "industry", "registered_on": today()})
                if r.status_code != 201:
                    raise RuntimeError(f"POST enterprises: {r.status_code} {r.text[:300]}")

        await asyncio.gather(*(register(i, e) for i, e in enumerate(ids)))
    await wait_report(live, name, lambda rep: rep["enterprises_registered"] >= enterprises, 120)
    return ids


async def report(client: httpx.AsyncClient, live: Live, name: str) -> dict | None:
    r = await client.get(f"{live.reporting.url}/api/v1/reports/{name}/{today()[:7]}")
    if r.status_code == 404:
        return None
    r.raise_for_status()
    return r.json()


async def wait_report(live: Live, name: str, ok, budget_s: float) -> None:
    deadline = time.monotonic() + budget_s
    async with httpx.AsyncClient(headers=VIEWER, timeout=30) as client:
        while True:
            rep = await report(client, live, name)
            if rep is not None and ok(rep):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the {name} report did not show the township's set-up in {budget_s:.0f} s: {rep}")
            await asyncio.sleep(0.2)


def visit_body(rng: random.Random, enterprise_ids: list[str]) -> dict:
    """A joint visit by both officials (the disturbance guard lets joint visits through), one in five with a
    demand the issues service turns into an issue."""
    body = {"enterprise_id": rng.choice(enterprise_ids), "visited_on": today(), "visitor_ids": ["o1", "o2"],
            "channel": "in_person", "kind": "joint", "services": ["policy", "warmth"], "summary": "基准走访"}
    if rng.random() < 0.2:
        body["demands"] = [{"category": "labour", "description": "招工难"}]
    return body
