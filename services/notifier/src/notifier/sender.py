"""The one replica that sends: the holder of the lease `notifier:sender` delivers the due notices and makes the
weekly digest when its time has come, both on the injected clock.

A notice is written (pending) before it is sent and marked sent after the receiver accepted it. Between the two a
kill leaves it pending, and it is sent again: the one window in which a receiver can see a notice twice (it has
the notice id to drop it). Everything else — redelivered events, restarts, replicas — sends nothing twice."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Optional

from buildingblocks.clock import Clock
from buildingblocks.lease import Lease
from notifier import domain, handlers

log = logging.getLogger("notifier.sender")


class Sender:
    def __init__(self, store, channels, clock: Clock, settings, lease: Optional[Lease] = None, deliveries=None):
        """`deliveries`: a counter labelled (channel, outcome) for /metrics, or None."""
        self.store, self.channels, self.clock, self.settings, self.lease = store, channels, clock, settings, lease
        self.deliveries = deliveries
        self.stats: dict[str, Any] = {"ticks": 0, "sent": 0, "failed_attempts": 0, "held": 0, "leader": False,
                                      "last_error": None}

    async def tick(self) -> None:
        """One round: (if we hold the lease) the digest if due, then every due notice."""
        if self.lease is not None:
            self.stats["leader"] = await self.lease.acquire()
            if not self.stats["leader"]:
                return
        config = await self.store.settings()
        await self.digest_if_due(config)
        for notice in await self.store.due(self.clock.now()):
            if self.lease is not None and not self.lease.fresh() and not await self.lease.acquire():
                return  # lost it: the new holder sends the rest
            await self.deliver(notice, config)
        self.stats["ticks"] += 1

    async def digest_if_due(self, config: domain.NoticeSettings) -> None:
        now = self.clock.now()
        week = domain.digest_week(now, config.digest_weekday, config.digest_time)
        # Made once per week and schedule: a schedule changed mid-week is looked at again, and the notice ids
        # (per leader and week) still give nobody a second digest that week.
        run = f"{week}@{config.digest_weekday}T{config.digest_time.isoformat()}"
        if week and not await self.store.digest_done(run):
            made = await handlers.make_digests(self.store, week, now, run)
            log.info("weekly digest %s: %d notices", week, len(made))

    async def deliver(self, notice: dict[str, Any], config: domain.NoticeSettings) -> None:
        now = self.clock.now()
        until = domain.in_quiet_hours(now, config.quiet_hours)
        if until is not None:
            if notice["status"] != "held" or notice.get("due_at") != until:
                await self.store.hold(notice["notice_id"], until)
                self.stats["held"] += 1
            return
        try:
            await self.channels.send(notice)
        except Exception as exc:  # a receiver's failure is the notice's, recorded; the loop goes on
            attempts = int(notice.get("attempts") or 0) + 1
            error = f"{type(exc).__name__}: {exc}"
            retry_at = None
            if attempts < self.settings.max_attempts:
                retry_at = now + domain.backoff(attempts, self.settings.retry_base_s, self.settings.retry_max_s)
            await self.store.attempt_failed(notice["notice_id"], error, retry_at, now)
            self.stats["failed_attempts"] += 1
            self._count(notice["channel"], "failed" if retry_at is None else "retry")
            log.warning("notice %s (%s to %s) not delivered, attempt %d: %s", notice["notice_id"], notice["channel"],
                        notice["address"], attempts, error)
            return
        await self.store.sent(notice["notice_id"], self.clock.now())
        self.stats["sent"] += 1
        self._count(notice["channel"], "sent")

    def _count(self, channel: str, outcome: str) -> None:
        if self.deliveries is not None:
            self.deliveries.labels(channel, outcome).inc()

    async def run_forever(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception as exc:  # the next round tries again
                self.stats["last_error"] = f"{type(exc).__name__}: {exc}"[:300]
                log.exception("sender round failed")
            await asyncio.sleep(self.settings.send_interval_s)
