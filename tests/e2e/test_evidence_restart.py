"""Evidence survives the store: a photo and a PDF attached to a visit, the store SIGKILLed (kill -9, nothing flushed
on purpose) and restarted on its H2 file; the same bytes come back with the same hash, thumbnail included."""
from __future__ import annotations

import asyncio
import hashlib
import io
from datetime import timedelta

import httpx
import pytest
from PIL import Image

from buildingblocks.clock import clock
from tests.support.apps import bearer, running
from tests.support.private_stack import PrivateStack
from visits.app import create_app

T = "/api/v1/townships/dacheng"
CLERK = bearer("dacheng_clerk")
E1 = "91330782MA2ABCD13A"


async def get_when_back(api: httpx.AsyncClient, path: str, timeout_s: float = 90) -> httpx.Response:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            r = await api.get(path, headers=CLERK)
            if r.status_code == 200:
                return r
        except Exception:  # the store is still coming back
            pass
        assert asyncio.get_running_loop().time() < deadline, f"{path} never answered 200 after the restart"
        await asyncio.sleep(0.5)


@pytest.mark.slow
async def test_evidence_is_whole_after_the_store_is_killed_and_restarted(monkeypatch):
    stack = PrivateStack()
    try:
        await asyncio.to_thread(stack.start)
        for k, v in stack.env().items():
            monkeypatch.setenv(k, v)
        async with running(create_app, monkeypatch) as api:
            await api.post(f"{T}/officials", json={"official_id": "c-li", "name": "李县长", "rank": "county"}, headers=CLERK)
            await api.post(f"{T}/enterprises", json={"enterprise_id": E1, "name": "秦川机床", "category": "industry",
                                                     "registered_on": "2026-01-05"}, headers=CLERK)
            v = (await api.post(f"{T}/visits", json={
                "enterprise_id": E1, "visited_on": (clock.today() - timedelta(days=1)).isoformat(),
                "visitor_ids": ["c-li"], "channel": "in_person", "kind": "routine"}, headers=CLERK)).json()
            base = f"{T}/visits/{v['visit_id']}/evidence"
            jpeg = io.BytesIO()
            Image.effect_noise((1800, 1200), 60).convert("RGB").save(jpeg, "JPEG", quality=90)  # several chunks
            pdf = b"%PDF-1.4\n" + bytes(range(256)) * 4000
            attached = []
            for name, data in (("厂区.jpg", jpeg.getvalue()), ("协议.pdf", pdf)):
                r = await api.post(base, files={"file": (name, data, "application/octet-stream")}, headers=CLERK)
                assert r.status_code == 201, r.text
                attached.append(r.json())

            await asyncio.to_thread(stack.kill_server, "store")
            await asyncio.to_thread(stack.start)

            listed = (await get_when_back(api, base)).json()
            assert [e["evidence_id"] for e in listed] == [e["evidence_id"] for e in attached]
            for ev in attached:
                got = await get_when_back(api, f"{base}/{ev['evidence_id']}")
                assert len(got.content) == ev["size"] and hashlib.sha256(got.content).hexdigest() == ev["sha256"]
            thumb = await get_when_back(api, f"{base}/{attached[0]['evidence_id']}/thumbnail")
            assert len(thumb.content) == attached[0]["thumbnail"]["size"]
    finally:
        await asyncio.to_thread(stack.stop)
