"""A lease: at most one holder of a name at a time across every process of a service (the outbox relay, the
escalation sweep). One document per name in `leases`: `{_id: name, holder, until}`.

Taking or renewing it is one conditional upsert by `_id`: it matches when we hold the lease or it has expired, and
when it does not match the upsert's insert collides with the existing `_id` (a duplicate key): someone else holds
it. Atomic per document on MongoDB 8 and on mongo-java-server alike; no transaction, no clock shared beyond the
`until` written by the holder (the processes' clocks must agree to well within a term).

A holder acts only while `fresh()`: within the first half of the term since it last renewed, so work started under
the lease never outlives it.
"""
from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional

from pymongo.errors import DuplicateKeyError

LEASES = "leases"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


class Lease:
    def __init__(
        self,
        collection: Any,
        name: str,
        term_s: float,
        holder: Optional[str] = None,
        now: Callable[[], datetime] = _utc_now,
        clock: Callable[[], float] = _loop_time,
    ):
        """`collection` is the `leases` collection (db[LEASES]); `now` is the wall clock written into `until`,
        `clock` the monotonic clock `fresh()` measures the term on (both replaceable for tests)."""
        self.collection = collection
        self.name = name
        self.term_s = term_s
        self.holder = holder or uuid.uuid4().hex
        self._now = now
        self._clock = clock
        self.held = False
        self._started = float("-inf")  # monotonic time the current term began

    async def acquire(self) -> bool:
        """Take or renew the lease; True if we hold it now. A database error leaves us not holding it, and raises."""
        started = self._clock()
        now = self._now()
        try:
            await self.collection.update_one(
                {"_id": self.name, "$or": [{"holder": self.holder}, {"until": {"$lt": now}}]},
                {"$set": {"holder": self.holder, "until": now + timedelta(seconds=self.term_s)}},
                upsert=True,
            )
            held = True
        except DuplicateKeyError:
            held = False
        except Exception:  # we cannot know, so we must not act
            self.held, self._started = False, float("-inf")
            raise
        self.held = held
        self._started = started if held else float("-inf")
        return held

    def fresh(self) -> bool:
        """Held, and within the first half of the term since the last renewal."""
        return self.held and self._clock() < self._started + self.term_s / 2

    def holding(self) -> bool:
        """Held and not expired as far as we know (the `lease_held` metric); `fresh()` is the stricter test for acting."""
        return self.held and self._clock() < self._started + self.term_s

    async def release(self) -> None:
        """Hand the lease over at once (only if we still hold it)."""
        self.held, self._started = False, float("-inf")
        await self.collection.delete_one({"_id": self.name, "holder": self.holder})
