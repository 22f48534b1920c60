"""The notifier's scheduler on a fixed clock, in process, on the real Kafka and store: the weekly digest comes when
its weekday and time arrive on that clock (once a week), and quiet hours hold notices until they end."""
from __future__ import annotations

import asyncio
import random
import uuid
from datetime import date, datetime

from buildingblocks.clock import FixedClock
from contracts.envelope import CHINA
from notifier.app import create_app
from tests.support import events, kafka
from tests.support.apps import bearer, running
from tests.support.receivers import HttpReceiver
from tests.support.processes import free_port

ADMIN, VIEWER = bearer("county_admin"), bearer("county_viewer")


async def wait_until(check, what: str, timeout_s: float = 180.0):
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        if value := await check():
            return value
        await asyncio.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def produce(bootstrap, topic, bodies):
    return kafka.produce(bootstrap, topic, [((b["data"].get("enterprise_id") or b["subject"]).encode(),
                                             events.encode(b)) for b in bodies])


async def test_the_digest_comes_on_its_weekday_and_time_and_quiet_hours_hold_notices(
        stack, kafka_bootstrap, township, monkeypatch):
    clock = FixedClock(datetime(2026, 12, 2, 23, 0, tzinfo=CHINA))  # a Wednesday, 23:00: inside quiet hours
    http = HttpReceiver(free_port()).start()
    for k, v in {"SEND_INTERVAL_S": "0.2", "SENDER_LEASE_S": "2", "RETRY_BASE_S": "0.3"}.items():
        monkeypatch.setenv(k, v)
    suffix = uuid.uuid4().hex[:6]
    unit, official = f"u-{suffix}", f"o-{suffix}"
    enterprise = events.uscc(random.Random(suffix))
    try:
        async with running(lambda: create_app(clock=clock), monkeypatch) as api:
            async def notices(**q):
                r = await api.get("/api/v1/notices", params=q, headers=VIEWER)
                assert r.status_code == 200, r.text
                return r.json()

            settings = {"quiet_hours": {"start": "22:00", "end": "07:30"}, "digest_weekday": 4, "digest_time": "08:00"}
            assert (await api.put("/api/v1/settings", json=settings, headers=ADMIN)).status_code == 200
            r = await api.put(f"/api/v1/recipients/units/{unit}", headers=ADMIN,
                              json={"webhook": {"url": f"{http.url}/robot/{unit}", "format": "wecom"}})
            assert r.status_code == 200
            r = await api.put(f"/api/v1/recipients/officials/{official}", headers=ADMIN,
                              json={"name": "王县长", "webhook": {"url": f"{http.url}/robot/{official}",
                                                               "format": "dingtalk"}})
            assert r.status_code == 200
            await produce(kafka_bootstrap, "visits.v1", [events.enterprise_registered(
                township, enterprise, date(2026, 1, 5), name="三原县乙食品有限公司",
                assigned_officials=({"official_id": official, "name": "王县长", "rank": "county"},))])
            await produce(kafka_bootstrap, "issues.v1", [
                events.issue_raised(township, f"iss-{i}", enterprise, date(2026, 11, 2), date(2026, 11, 20 + i),
                                    unit_id=unit, description=f"诉求{i}") for i in range(2)])

            held = await wait_until(lambda: _all(notices(township=township), 2, "held"), "two notices held")
            assert {n["due_at"][:19] for n in held} == {"2026-12-02T23:30:00"}  # 07:30 China time, in UTC
            # visits.v1 is read apart from issues.v1 and may still be catching up on the shared history: the digest is
            # made once, from what the notifier knows of the enterprise's 包抓 leader by then.
            store = api.app.state.store
            await wait_until(lambda: _known(store.enterprise(township, enterprise)), "the enterprise's leader known")
            assert http.accepted == []

            clock.at = datetime(2026, 12, 3, 7, 30, tzinfo=CHINA)  # quiet hours over; 30 minutes before the digest
            await wait_until(lambda: _all(notices(township=township), 2, "sent"), "the held notices sent")
            assert sorted(d.path for d in http.accepted) == [f"/robot/{unit}"] * 2
            assert await notices(kind="digest") == []

            clock.at = datetime(2026, 12, 3, 8, 0, tzinfo=CHINA)  # Thursday 08:00: this week's digest
            digest = await wait_until(lambda: _all(notices(kind="digest"), 1, "sent"), "the digest sent")
            assert digest[0]["recipient"] == f"official:{official}" and "2026-W49" in digest[0]["title"]
            body = next(d.body for d in http.accepted if d.path == f"/robot/{official}")
            assert body["msgtype"] == "markdown" and "三原县乙食品有限公司" in body["markdown"]["text"]
            assert "诉求0" in body["markdown"]["text"] and "诉求1" in body["markdown"]["text"]

            clock.at = datetime(2026, 12, 6, 20, 0, tzinfo=CHINA)  # later the same week: no second digest
            ticks = api.app.state.sender.stats["ticks"]
            await wait_until(lambda: _true(api.app.state.sender.stats["ticks"] >= ticks + 3), "three sending rounds")
            assert len(await notices(kind="digest")) == 1
            clock.at = datetime(2026, 12, 10, 8, 0, tzinfo=CHINA)  # the next Thursday: the next week's
            await wait_until(lambda: _all(notices(kind="digest"), 2, "sent"), "the next week's digest")
    finally:
        http.stop()


async def _all(listing, count: int, status: str):
    found = await listing
    return found if len(found) == count and all(n["status"] == status for n in found) else None


async def _known(lookup):
    found = await lookup
    return bool(found and found.get("officials"))


async def _true(value: bool) -> bool:
    return value
