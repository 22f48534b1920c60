"""Transactional outbox without multi-document transactions: pending events ride in the document they concern.

A write carries its state change and its events in ONE document write: `**outbox.new(entries)` on insert,
`{"$push": {..., **outbox.push(entries)}}` in the same update_one as the change, then tells the relay (`written`).
Each entry stays in `outbox` as the record of what the document published; its id is also in `outbox_unsent`
until the relay has Kafka's ack for it and pulls it from there (one bulk of `$pull`s per batch). At-least-once: a
crash between the ack and the pull republishes the same event id, and consumers dedupe on it.

Finding work: the writes of this process reach its relay directly (`written`), so a logged visit goes out at once.
A sweep (on taking the lease, then every `sweep_s`) finds what other replicas or a crashed process left unsent:
the documents whose `outbox_unsent` is not empty (an index on MongoDB 8; few documents either way). No
transactions, no change streams, no aggregation. With several replicas of a service, one relay publishes (the
lease, `buildingblocks/lease.py`); the others hand their writes to its sweep.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Optional

from faststream.kafka import KafkaBroker
from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from buildingblocks.lease import LEASES, Lease
from contracts.envelope import CloudEvent, encode, headers_for
from contracts.topics import key_for

log = logging.getLogger("outbox")

FIELD = "outbox"
UNSENT = "outbox_unsent"  # the ids of the document's entries not acknowledged by Kafka yet
_relays: dict[str, list["Relay"]] = {}  # collection → the running relays of this process


def new(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The outbox fields of a document inserted with these entries."""
    return {FIELD: list(entries), UNSENT: [e["id"] for e in entries]}


def push(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The `$push` of an update that adds these entries to a document."""
    return {FIELD: {"$each": list(entries)}, UNSENT: {"$each": [e["id"] for e in entries]}}


async def ensure_indexes(db: AsyncDatabase, collections: list[str]) -> None:
    """The sweep's query, `outbox_unsent` not empty, served by an index on MongoDB 8."""
    for name in collections:
        await db[name].create_index([(UNSENT, 1)])


def written(collection: str, doc_id: Any, entries: list[dict[str, Any]]) -> None:
    """Call after a write that carried outbox entries: this process's relay publishes them without a sweep."""
    for relay in _relays.get(collection, ()):
        relay.hint(collection, doc_id, entries)

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
    # Keyed by the enterprise, so one enterprise's events stay in order; an event of no enterprise (a finding's, a
    # unit's) by its subject (the issue_id, the unit_id), which keeps that subject's events in order.
    key = getattr(event.data, "enterprise_id", None) or event.subject
    if not key:
        raise ValueError(f"{event.type} has no enterprise_id or subject to key it by")
    return {
        "id": event.id,
        "topic": topic,
        "key": key,
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
        sweep_s: float = 30.0,
        batch: int = 200,
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
        self.sweep_s = sweep_s
        self.batch = batch
        self._next_sweep = float("-inf")
        self._queue: dict[str, Pending] = {}  # event id → entry written by this process, in write order
        self._swept: dict[str, int] = {}  # event id → seq of what the last sweep found and is not published yet
        self._wake = asyncio.Event()
        self.lease = Lease(db[LEASES], f"relay:{name}", lease_s)
        self.holder = self.lease.holder
        self.lease_id = self.lease.name
        self.stats: dict[str, Any] = {"published": 0, "queued": 0, "errors": 0, "last_error": None, "leader": False}
        self._inflight: dict[str, asyncio.Future] = {}  # event id → its send, until acknowledged
        self._task: Optional[asyncio.Task] = None

    # --- lease -------------------------------------------------------------------------------------------

    async def acquire(self) -> bool:
        """Take or renew the lease (see lease.py); a database error means we must not publish, and raises."""
        try:
            held = await self.lease.acquire()
        except Exception:
            self.stats["leader"] = False
            raise
        if held != self.stats["leader"]:
            log.info("relay %s %s the lease (%s)", self.name, "took" if held else "lost", self.holder)
            self._next_sweep = float("-inf")  # a new leader first looks for what the last one left
        self.stats["leader"] = held
        return held

    async def release(self) -> None:
        self.stats["leader"] = False
        await self.lease.release()

    def _lease_fresh(self) -> bool:
        # Past half the term, stop and renew before going on: a pass must never outlive the lease.
        return self.lease.fresh()

    # --- one pass ----------------------------------------------------------------------------------------

    def backlog(self) -> tuple[int, Optional[int]]:
        """What this relay knows is unsent (its process's writes, the last sweep's finds): how many, and the seq
        (ns since the epoch, when written) of the oldest. A relay that does not hold the lease knows nothing."""
        seqs = {**self._swept, **{i: int(p.entry["seq"]) for i, p in self._queue.items()}}
        return len(seqs), min(seqs.values(), default=None)

    def hint(self, collection: str, doc_id: Any, entries: list[dict[str, Any]]) -> None:
        for e in entries:
            self._queue[e["id"]] = Pending(collection, doc_id, e, int(e["seq"]))
        self._wake.set()

    async def sweep(self) -> list[Pending]:
        """Every entry of the collections still listed as unsent."""
        found: list[Pending] = []
        for name in self.collections:
            async for doc in self.db[name].find({f"{UNSENT}.0": {"$exists": True}}, {FIELD: 1, UNSENT: 1}):
                unsent, floor = set(doc[UNSENT]), 0
                for e in doc[FIELD]:
                    # Array order is write order: a later push never goes first, even if its clock was behind.
                    floor = max(floor, int(e["seq"]))
                    if e["id"] in unsent:
                        found.append(Pending(name, doc["_id"], e, floor))
        return found

    async def pending(self) -> list[Pending]:
        found = dict(self._queue)
        if asyncio.get_running_loop().time() >= self._next_sweep:
            self._next_sweep = asyncio.get_running_loop().time() + self.sweep_s
            swept = await self.sweep()
            self._swept = {p.entry["id"]: int(p.entry["seq"]) for p in swept}
            for p in swept:
                found.setdefault(p.entry["id"], p)
        return sorted(found.values(), key=lambda p: p.order)  # stable: ties keep array order

    async def publish(self, entries: list[dict[str, Any]]) -> None:
        """Send entries in order without waiting between them (the idempotent producer keeps a partition's order)
        and wait for every ack; a send that timed out is awaited again next pass, never sent twice."""
        for e in entries:
            if e["id"] not in self._inflight:
                send = self.broker.publish(
                    e["value"].encode("utf-8"), e["topic"], key=key_for(e["key"]), headers=dict(e["headers"])
                )
                future = asyncio.ensure_future(send)
                future.add_done_callback(_retrieve)  # a send given up on may still fail later: no "never retrieved" noise
                self._inflight[e["id"]] = future
        futures = [self._inflight[e["id"]] for e in entries]
        done, _ = await asyncio.wait(futures, timeout=self.publish_timeout_s)
        if len(done) < len(futures):
            raise PublishTimeout(f"no ack from Kafka for {len(futures) - len(done)} events within {self.publish_timeout_s:g} s")
        for e in entries:
            self._inflight.pop(e["id"], None)
        for future in futures:
            future.result()  # raises a send's error, if any: the pass ends and all of them go again

    async def mark(self, sent: list[Pending]) -> None:
        """Pull the acknowledged ids from their documents' unsent lists: one bulk write per collection."""
        by_doc: dict[tuple[str, Any], list[str]] = {}
        for p in sent:
            by_doc.setdefault((p.collection, p.doc_id), []).append(p.entry["id"])
        by_collection: dict[str, list[UpdateOne]] = {}
        for (collection, doc_id), ids in by_doc.items():
            by_collection.setdefault(collection, []).append(UpdateOne({"_id": doc_id}, {"$pull": {UNSENT: {"$in": ids}}}))
        for collection, updates in by_collection.items():
            await self.db[collection].bulk_write(updates, ordered=False)

    async def run_once(self) -> int:
        """One pass: publish pending entries in order, each recorded as sent after its ack. Returns how many."""
        if not await self.acquire():
            self._queue.clear()  # the leader's sweep will find them
            self._swept.clear()
            return 0
        published = 0
        pending = await self.pending()
        for start in range(0, len(pending), self.batch):
            if not self._lease_fresh():
                break
            chunk = pending[start:start + self.batch]
            await self.publish([p.entry for p in chunk])  # an error ends the pass: skipping ahead would break the order
            await self.mark(chunk)
            for p in chunk:
                self._queue.pop(p.entry["id"], None)
                self._swept.pop(p.entry["id"], None)
            published += len(chunk)
            self.stats["published"] += len(chunk)
        self.stats["queued"] = len(self._queue)
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
            self._wake.clear()
            if delay > 0 and not self._queue:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)  # a write of ours ends the wait
            elif delay > 0:
                await asyncio.sleep(delay)

    async def start(self, _service: Any = None) -> None:
        """An on_start hook: `service.on_start.append(relay.start)`."""
        for c in self.collections:
            if self not in _relays.setdefault(c, []):
                _relays[c].append(self)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name=f"outbox-relay:{self.name}")

    async def stop(self, _service: Any = None) -> None:
        """An on_stop hook: cancel the loop, wait for it, hand the lease over at once."""
        for c in self.collections:
            if self in _relays.get(c, []):
                _relays[c].remove(self)
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        for future in self._inflight.values():
            future.cancel()
        self._inflight.clear()
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

    async def indexes(_service: Any) -> None:
        await ensure_indexes(service.db, collections)

    service.on_start.append(indexes)
    service.on_start.append(relay.start)
    service.on_stop.append(relay.stop)
    return relay
