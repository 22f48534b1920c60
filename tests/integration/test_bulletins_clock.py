"""A bulletin's published_at is the reporting service's clock (FixedClock here), not the wall clock read inside."""
from __future__ import annotations

import uuid
from datetime import datetime

from buildingblocks.clock import FixedClock
from contracts.envelope import CHINA
from reporting.app import create_app
from tests.support.apps import bearer, running

AT = datetime(2027, 1, 4, 10, 30, tzinfo=CHINA)


async def test_a_bulletin_is_stamped_by_the_services_clock(stack, monkeypatch):
    township = f"t-{uuid.uuid4().hex[:8]}"
    async with running(lambda: create_app(clock=FixedClock(AT)), monkeypatch) as api:
        r = await api.post(f"/api/v1/bulletins/{township}/2026", headers=bearer("county_admin"))
        assert r.status_code == 201, r.text
        assert r.json()["published_at"] == "2027-01-04T10:30:00+08:00"
        listed = (await api.get(f"/api/v1/bulletins/{township}", headers=bearer("county_viewer"))).json()
        assert [b["published_at"] for b in listed] == ["2027-01-04T10:30:00+08:00"]
