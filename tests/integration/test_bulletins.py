"""Frozen bulletins on the real Kafka and FerretDB: computed from the log up to a recorded position, stored once,
unchanged by later events, and recomputed from the log to the same hash."""
from __future__ import annotations

import asyncio
import random
import uuid
from datetime import date

import pytest_asyncio

from reporting.app import create_app
from tests.support import events, kafka
from tests.support.apps import bearer, running

ADMIN, VIEWER = bearer("county_admin"), bearer("county_viewer")


@pytest_asyncio.fixture
async def api(stack, monkeypatch):
    async with running(create_app, monkeypatch) as client:
        yield client


def visits(township: str, n: int, rng: random.Random) -> list[tuple[bytes, bytes]]:
    out = []
    for i in range(n):
        e = events.uscc(rng)
        out.append((e.encode(), events.encode(events.enterprise_registered(township, e, date(2026, 1, 2)))))
        out.append((e.encode(), events.encode(events.visit_logged(township, e, f"v{uuid.uuid4().hex[:6]}", date(2026, 2, 1 + i)))))
    return out


async def test_a_bulletin_is_frozen_and_recomputes_to_the_same_hash(api, kafka_bootstrap):
    township, rng = f"t-{uuid.uuid4().hex[:8]}", random.Random(5)
    await kafka.produce(kafka_bootstrap, "visits.v1", visits(township, 4, rng))

    first = await api.post(f"/api/v1/bulletins/{township}/2026-Q1", headers=ADMIN)
    assert first.status_code == 201, first.text
    bulletin = first.json()
    assert bulletin["report"]["visits"] == 4 and bulletin["report"]["enterprises_registered"] == 4
    assert len(bulletin["hash"]) == 64 and {p["topic"] for p in bulletin["position"]} == {"visits.v1", "issues.v1"}
    assert (await api.post(f"/api/v1/bulletins/{township}/2026-Q1", headers=ADMIN)).status_code == 409

    await kafka.produce(kafka_bootstrap, "visits.v1", visits(township, 3, rng))  # later events of the same quarter
    for _ in range(120):  # the live report moves on ...
        live = await api.get(f"/api/v1/reports/{township}/2026-Q1", headers=VIEWER)
        if live.status_code == 200 and live.json()["visits"] == 7:
            break
        await asyncio.sleep(0.25)
    assert live.json()["visits"] == 7
    again = (await api.get(f"/api/v1/bulletins/{township}/2026-Q1", headers=VIEWER)).json()
    assert again == bulletin  # ... the bulletin does not
    verified = (await api.get(f"/api/v1/bulletins/{township}/2026-Q1/verify", headers=VIEWER)).json()
    assert verified == {"hash": bulletin["hash"], "recomputed_hash": bulletin["hash"], "matches": True}


async def test_the_county_bulletin_and_who_may_publish(api, kafka_bootstrap):
    township = f"t-{uuid.uuid4().hex[:8]}"
    await kafka.produce(kafka_bootstrap, "visits.v1", visits(township, 2, random.Random(6)))
    assert (await api.post("/api/v1/bulletins/county/2026-Q1", headers=bearer("dacheng_clerk"))).status_code == 403
    assert (await api.post(f"/api/v1/bulletins/{township}/2026-Q1", headers=bearer("dacheng_clerk"))).status_code == 403
    published = await api.post("/api/v1/bulletins/county/2026-Q1", headers=ADMIN)
    assert published.status_code == 201, published.text
    county = published.json()["report"]
    assert township in [r["township"] for r in county["townships"]] and "ranking" in county
    verified = (await api.get("/api/v1/bulletins/county/2026-Q1/verify", headers=VIEWER)).json()
    assert verified["matches"] is True
    assert (await api.get("/api/v1/bulletins/county/2026-Q2", headers=VIEWER)).status_code == 404
