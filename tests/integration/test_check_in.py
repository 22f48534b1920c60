"""The location check-in on the real store: an enterprise's coordinates, a visit checked in near them and one far
from them, the distance and the radius shown on the visit; bad positions named; a retry; another township."""
from __future__ import annotations

from datetime import timedelta

import pytest_asyncio

from buildingblocks.clock import clock
from tests.support.apps import bearer, running
from visits.app import create_app

T = "/api/v1/townships/dacheng"
CLERK, VIEWER, XIYANG = bearer("dacheng_clerk"), bearer("dacheng_viewer"), bearer("xiyang_clerk")
E1, E2 = "91330782MA2ABCD13A", "91110000600037341L"
FACTORY = {"lat": 34.6170, "lng": 108.9400}


@pytest_asyncio.fixture
async def api(stack, monkeypatch):
    async with running(create_app, monkeypatch) as client:
        yield client


async def seed(api):
    r = await api.post(f"{T}/officials", json={"official_id": "c-li", "name": "李县长", "rank": "county"}, headers=CLERK)
    assert r.status_code == 201
    for e in (E1, E2):
        body = {"enterprise_id": e, "name": f"企业{e[-4:]}", "category": "industry", "registered_on": "2026-01-05"}
        assert (await api.post(f"{T}/enterprises", json=body, headers=CLERK)).status_code == 201


def visit(enterprise_id, days_ago, **extra):
    return {"enterprise_id": enterprise_id, "visited_on": (clock.today() - timedelta(days=days_ago)).isoformat(),
            "visitor_ids": ["c-li"], "channel": "in_person", "kind": "routine", **extra}


async def test_a_visit_checked_in_near_the_enterprise_and_one_far_from_it(api):
    await seed(api)
    put = await api.put(f"{T}/enterprises/{E1}/location", json=FACTORY, headers=CLERK)
    assert put.status_code == 200 and put.json()["set_by"]
    assert (await api.get(f"{T}/enterprises/{E1}/location", headers=VIEWER)).json()["lat"] == FACTORY["lat"]

    near = await api.post(f"{T}/visits", json=visit(E1, 30, check_in={"lat": 34.6190, "lng": 108.9400}), headers=CLERK)
    assert near.status_code == 201, near.text
    ci = near.json()["check_in"]
    assert (ci["distance_m"], ci["radius_m"], ci["within_radius"], ci["enterprise_location"]) == (222, 500, True, FACTORY)
    assert (ci["lat"], ci["lng"]) == (34.6190, 108.9400)
    far = await api.post(f"{T}/visits", json=visit(E1, 1, check_in={"lat": 34.6270, "lng": 108.9400}), headers=CLERK)
    assert far.status_code == 201, far.text
    shown = (await api.get(f"{T}/visits/{far.json()['visit_id']}", headers=VIEWER)).json()
    assert shown["check_in"]["distance_m"] == 1112 and shown["check_in"]["within_radius"] is False
    assert shown["check_in"]["checked_in_by"]

    # No coordinates for the enterprise yet: the position is kept, nothing is judged.
    blind = await api.post(f"{T}/visits", json=visit(E2, 2, check_in={"lat": 34.6, "lng": 108.9}), headers=CLERK)
    assert blind.json()["check_in"]["distance_m"] is None and blind.json()["check_in"]["within_radius"] is None
    # A visit without a check-in shows none.
    plain = await api.post(f"{T}/visits", json=visit(E2, 40), headers=CLERK)
    assert "check_in" not in (await api.get(f"{T}/visits/{plain.json()['visit_id']}", headers=VIEWER)).json()


async def test_a_retry_keeps_the_first_check_in_and_bad_positions_are_named(api):
    await seed(api)
    await api.put(f"{T}/enterprises/{E1}/location", json=FACTORY, headers=CLERK)
    key = {"Idempotency-Key": "visit-ci-1", **CLERK}
    body = visit(E1, 3, check_in={"lat": 34.6171, "lng": 108.9401})
    first, again = [await api.post(f"{T}/visits", json=body, headers=key) for _ in range(2)]
    assert first.status_code == again.status_code == 201 and first.json() == again.json()

    bad = await api.post(f"{T}/visits", json=visit(E1, 4, check_in={"lat": 134.0, "lng": 108.9}), headers=CLERK)
    assert bad.status_code == 422 and ["body", "check_in", "lat"] in [e["loc"] for e in bad.json()["detail"]]
    nofix = await api.post(f"{T}/visits", json=visit(E1, 4, check_in={"lat": 0, "lng": 0}), headers=CLERK)
    assert nofix.status_code == 422 and "no fix" in nofix.text
    assert (await api.put(f"{T}/enterprises/{E1}/location", json={"lat": 34.6}, headers=CLERK)).status_code == 422
    unknown = await api.put(f"{T}/enterprises/91330782MA2ABCD99X/location", json=FACTORY, headers=CLERK)
    assert unknown.status_code in (404, 422)
    assert (await api.put(f"{T}/enterprises/{E1}/location", json=FACTORY, headers=XIYANG)).status_code == 403
    assert (await api.put(f"{T}/enterprises/{E1}/location", json=FACTORY, headers=VIEWER)).status_code == 403
    assert (await api.get(f"{T}/enterprises/{E2}/location", headers=VIEWER)).status_code == 404
