"""One batch of Kafka records → valid events to the service's handler, the rest to the dead-letter topic.

Transient failures (database or broker unreachable) back off and NACK, so FastStream seeks back and the
batch comes again; offsets are committed only after the handler and the dead letters are written.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Sequence

from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord
from faststream.exceptions import NackMessage
from pymongo.errors import ConnectionFailure, PyMongoError

from buildingblocks import logs
from buildingblocks.deadletter import DeadLetters
from contracts.envelope import CloudEvent, InvalidEvent, parse

log = logging.getLogger("consumer")


@dataclass(frozen=True)
class Received:
    event: CloudEvent[Any]
    record: ConsumerRecord


Handler = Callable[[list[Received]], Awaitable[None]]


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (ConnectionFailure, KafkaError, asyncio.TimeoutError, OSError)):
        return True
    return isinstance(exc, PyMongoError) and exc.has_error_label("RetryableWriteError")


class BatchConsumer:
    def __init__(self, handle: Handler, dead_letters: DeadLetters, max_backoff_s: float = 10.0, topic: str = ""):
        self.handle = handle
        self.dead_letters = dead_letters
        self.topic = topic  # what it consumes, under dead_letters.group: the labels of its metrics
        self.group = getattr(dead_letters, "group", "")
        self.max_backoff_s = max_backoff_s
        self._failures = 0
        # Since this process started; shown on /health so an operator (and the restart test) sees progress.
        self.stats = {"batches": 0, "records": 0, "dead_letters": 0, "retries": 0}

    async def __call__(self, records: Sequence[ConsumerRecord] | ConsumerRecord) -> None:
        if isinstance(records, ConsumerRecord):
            records = (records,)
        with logs.bound(**_about(records)):
            try:
                await self._process(records)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                self._failures += 1
                self.stats["retries"] += 1
                delay = min(0.2 * 2 ** self._failures, self.max_backoff_s)
                log.warning("transient failure (%s: %s); retrying the batch in %.1f s", type(exc).__name__, exc, delay)
                await asyncio.sleep(delay)
                raise NackMessage() from exc
        self._failures = 0
        self.stats["batches"] += 1
        self.stats["records"] += len(records)

    async def _process(self, records: Sequence[ConsumerRecord]) -> None:
        events, rejects = [], []
        for record in records:
            try:
                events.append(Received(parse(record.value or b""), record))
            except InvalidEvent as exc:
                rejects.append((record, exc))
        if events:
            try:
                with logs.bound(**_about_events(events)):
                    await self.handle(events)
            except Exception as exc:
                if is_transient(exc):
                    raise
                # A bug or data the handler cannot take: find the culprits one by one; the rest go through.
                rejects.extend(await self._one_by_one(events, exc))
        for record, exc in rejects:
            with logs.bound(partition=record.partition, offset=record.offset):
                log.warning("dead-lettering %s[%s]@%s: %s", record.topic, record.partition, record.offset, exc)
                await self.dead_letters.send(record, exc.reason, exc.detail)
        self.stats["dead_letters"] += len(rejects)

    async def _one_by_one(self, events: list[Received], first: Exception) -> list[tuple[ConsumerRecord, InvalidEvent]]:
        log.exception("batch handler failed; retrying its events one by one", exc_info=first)
        failed = []
        for received in events:
            try:
                with logs.bound(**_about_events([received])):
                    await self.handle([received])
            except Exception as exc:
                if is_transient(exc):
                    raise
                failed.append((received.record, InvalidEvent("handler_error", f"{type(exc).__name__}: {exc}")))
        return failed


def _about(records: Sequence[ConsumerRecord]) -> dict[str, Any]:
    """Log fields of a batch: its topic, and its partition and offsets when it is one partition's."""
    if not records:
        return {}
    first, last = records[0], records[-1]
    fields: dict[str, Any] = {"topic": first.topic, "records": len(records)}
    if all(r.partition == first.partition for r in records):
        fields.update(partition=first.partition, offsets=f"{first.offset}-{last.offset}")
    return fields


def _about_events(events: list[Received]) -> dict[str, Any]:
    """Log fields of the events handled together: the event id of one, the township when they share it."""
    townships = {r.event.township for r in events}
    return {"event_id": events[0].event.id if len(events) == 1 else None,
            "township": townships.pop() if len(townships) == 1 else None}
