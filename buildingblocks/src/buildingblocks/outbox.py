"""Transactional outbox without multi-document transactions: pending events ride in the document they concern.

A write carries its state change and its events in ONE document write: `"outbox": [entry(...), ...]` on insert,
`{"$push": {"outbox": entry(...)}}` in the same update_one as the change. The Relay publishes pending entries
in seq order, awaits Kafka's ack, then removes each from its document. At-least-once: a crash between the two
republishes the same event id, and consumers dedupe on it.

Runs on MongoDB 8 and FerretDB 1.24 alike, hence: no transactions, no aggregation, one single-document
update per removal (FerretDB deadlocks on a multi-update command), and removal by `$pull` of the entry exactly
as read (FerretDB ignores `$pull` with a condition such as `{"id": ...}`: it matches whole values only).
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from buildingblocks import locks
from contracts.envelope import CloudEvent, encode, headers_for
from contracts.topics import key_for

log = logging.getLogger("outbox")

FIELD = "outbox"
LEASES = "leases"

_seq_lock = threading.Lock()
_last_seq = 0


def next_seq() -> int:
    """Nanoseconds since the epoch, bumped so that each call in this process is larger than the last."""
    global _last_seq
    with _seq_lock:
        _last_seq = max(time.time_ns(), _last_seq + 1)
        return _last_seq


def entry(event: CloudEvent[Any], topic: str) -> dict[str, Any]:
    """The outbox entry for one event: what the relay will publish, exactly."""
    enterprise_id = getattr(event.data, "enterprise_id", None)
    if not enterprise_id:
        raise ValueError(f"{event.type} has no enterprise_id to key it by")
    return {
        "id": event.id,
        "topic": topic,
        "key": enterprise_id,
        "value": encode(event).decode("utf-8"),
        "headers": headers_for(event),
        "seq": next_seq(),
    }


class PublishTimeout(Exception):
    """Kafka did not acknowledge in time; the send stays queued in the producer and is awaited again next pass."""


@dataclass
class Pending:
    collection: str
    doc_id: Any
    entry: dict[str, Any]
    order: int


class Relay:
    """Publishes the outbox entries of `collections`; only the holder of the lease `relay:<name>` does.

    `stats` (published, errors, last_error, leader) is meant for /health.
    """

    def __init__(
        self,
        broker: KafkaBroker,
        db: AsyncDatabase,
        collections: list[str],
        name: str,
        lease_s: float = 10.0,
        idle_s: float = 0.2,
        publish_timeout_s: Optional[float] = None,
        backoff_s: float = 0.2,
        max_backoff_s: float = 5.0,
    ):
        self.broker = broker
        self.db = db
        self.collections = list(collections)
        self.name = name
        self.lease_s = lease_s
        self.idle_s = idle_s
        # With enable_idempotence aiokafka never expires a batch: publish() waits for as long as Kafka is down.
        self.publish_timeout_s = publish_timeout_s if publish_timeout_s is not None else lease_s / 4
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.holder = uuid.uuid4().hex
        self.lease_id = f"relay:{name}"
        self.stats: dict[str, Any] = {"published": 0, "errors": 0, "last_error": None, "leader": False}
        self._lease_started = float("-inf")  # loop time when the current lease term began
        self._inflight: Optional[tuple[str, asyncio.Future]] = None
        self._task: Optional[asyncio.Task] = None

    # --- lease -------------------------------------------------------------------------------------------

    async def acquire(self) -> bool:
        """Take or renew the lease: one conditional upsert; a duplicate key means another relay holds it."""
        started = asyncio.get_running_loop().time()
        now = datetime.now(timezone.utc)
        try:
            await self.db[LEASES].update_one(
                {"_id": self.lease_id, "$or": [{"holder": self.holder}, {"until": {"$lt": now}}]},
                {"$set": {"holder": self.holder, "until": now + timedelta(seconds=self.lease_s)}},
                upsert=True,
            )
            held = True
        except DuplicateKeyError:
            held = False
        except Exception:  # the database is away: we cannot know, so we must not publish
            self.stats["leader"], self._lease_started = False, float("-inf")
            raise
        if held != self.stats["leader"]:
            log.info("relay %s %s the lease (%s)", self.name, "took" if held else "lost", self.holder)
        self.stats["leader"] = held
        self._lease_started = started if held else float("-inf")
        return held

    async def release(self) -> None:
        await self.db[LEASES].delete_one({"_id": self.lease_id, "holder": self.holder})
        self.stats["leader"] = False
        self._lease_started = float("-inf")

    def _lease_fresh(self) -> bool:
        # Past half the term, stop and renew before going on: a pass must never outlive the lease.
        return asyncio.get_running_loop().time() < self._lease_started + self.lease_s / 2

    # --- one pass ----------------------------------------------------------------------------------------

    async def pending(self) -> list[Pending]:
        found: list[Pending] = []
        for name in self.collections:
            async for doc in self.db[name].find({f"{FIELD}.0": {"$exists": True}}, {FIELD: 1}):
                floor = 0
                for e in doc[FIELD]:
                    # Array order is write order: a later push never goes first, even if its clock was behind.
                    floor = max(floor, int(e["seq"]))
                    found.append(Pending(name, doc["_id"], e, floor))
        found.sort(key=lambda p: p.order)  # stable: ties keep array order
        return found

    async def publish(self, e: dict[str, Any]) -> None:
        """Send one entry and wait for the ack; a send that timed out is awaited again, never sent twice."""
        if self._inflight is None or self._inflight[0] != e["id"]:
            send = self.broker.publish(
                e["value"].encode("utf-8"), e["topic"], key=key_for(e["key"]), headers=dict(e["headers"])
            )
            future = asyncio.ensure_future(send)
            future.add_done_callback(_retrieve)  # a send given up on may still fail later: no "never retrieved" noise
            self._inflight = (e["id"], future)
        future = self._inflight[1]
        done, _ = await asyncio.wait({future}, timeout=self.publish_timeout_s)
        if not done:
            raise PublishTimeout(f"no ack from Kafka for event {e['id']} within {self.publish_timeout_s:g} s")
        self._inflight = None
        future.result()  # raises the send's error, if any

    async def remove(self, collection: str, doc_id: Any, e: dict[str, Any]) -> None:
        async with locks.document(collection, doc_id):  # FerretDB: never alongside a handler's write
            result = await self.db[collection].update_one({"_id": doc_id}, {"$pull": {FIELD: e}})
        if result.modified_count == 0 and await self.db[collection].find_one({"_id": doc_id, f"{FIELD}.id": e["id"]}):
            # Left in place it would be republished every pass: fail loudly instead.
            raise RuntimeError(f"could not remove outbox entry {e['id']} from {collection}/{doc_id}")

    async def run_once(self) -> int:
        """One pass: publish pending entries in order, each removed after its ack. Returns how many went out."""
        if not await self.acquire():
            return 0
        published = 0
        for p in await self.pending():
            if not self._lease_fresh():
                break
            await self.publish(p.entry)  # an error ends the pass: skipping ahead would break the order
            await self.remove(p.collection, p.doc_id, p.entry)
            published += 1
            self.stats["published"] += 1
        return published

    # --- the loop and its hooks --------------------------------------------------------------------------

    async def run(self) -> None:
        failures = 0
        while True:
            try:
                if not self.broker.running:  # on_start hooks run before the broker connects
                    delay = self.idle_s
                else:
                    published = await self.run_once()
                    failures = 0
                    if published:
                        delay = 0.0
                    elif self.stats["leader"]:
                        delay = self.idle_s
                    else:
                        delay = max(self.idle_s, self.lease_s / 4)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                delay = min(self.backoff_s * 2 ** (failures - 1), self.max_backoff_s)
                self.stats["errors"] += 1
                self.stats["last_error"] = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("outbox relay %s: %s; retrying in %.1f s", self.name, self.stats["last_error"], delay)
            await asyncio.sleep(delay)

    async def start(self, _service: Any = None) -> None:
        """An on_start hook: `service.on_start.append(relay.start)`."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name=f"outbox-relay:{self.name}")

    async def stop(self, _service: Any = None) -> None:
        """An on_stop hook: cancel the loop, wait for it, hand the lease over at once."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        if self._inflight is not None:
            self._inflight[1].cancel()
            self._inflight = None
        try:
            await self.release()
        except Exception as exc:  # the lease expires by itself
            log.warning("outbox relay %s: could not release the lease: %s", self.name, exc)


def _retrieve(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()


def attach(service: Any, collections: list[str], **options: Any) -> Relay:
    """A relay for a Service (its broker, db and name), started and stopped with it."""
    relay = Relay(service.broker, service.db, collections, service.settings.service, **options)
    service.on_start.append(relay.start)
    service.on_stop.append(relay.stop)
    return relay
