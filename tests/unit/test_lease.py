"""The lease of buildingblocks/lease.py on a fake `leases` collection and fake clocks: one holder at a time, renewal,
expiry, hand-over on release, and no acting on a lease past half its term or after a database error."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from pymongo.errors import DuplicateKeyError, ServerSelectionTimeoutError

from buildingblocks.lease import Lease


class FakeLeases:
    """What MongoDB does with the lease's two commands: the conditional upsert by `_id` and the delete."""

    def __init__(self):
        self.docs: dict[str, dict] = {}
        self.down = False

    def _check(self):
        if self.down:
            raise ServerSelectionTimeoutError("the database is away")

    async def update_one(self, filter, update, upsert=False):
        self._check()
        mine, expired = filter["$or"][0]["holder"], filter["$or"][1]["until"]["$lt"]
        doc = self.docs.get(filter["_id"])
        if doc is not None and (doc["holder"] == mine or doc["until"] < expired):
            doc.update(update["$set"])
        elif doc is None and upsert:
            self.docs[filter["_id"]] = {"_id": filter["_id"], **update["$set"]}
        else:  # the upsert's insert collides with the existing _id
            raise DuplicateKeyError("E11000 duplicate key error")

    async def delete_one(self, filter):
        self._check()
        doc = self.docs.get(filter["_id"])
        if doc is not None and doc["holder"] == filter["holder"]:
            del self.docs[filter["_id"]]


class Clocks:
    def __init__(self):
        self.wall = datetime(2026, 3, 2, tzinfo=timezone.utc)
        self.mono = 0.0

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds


def lease(leases: FakeLeases, clocks: Clocks, holder: str, term_s: float = 10.0) -> Lease:
    return Lease(leases, "sweep:test", term_s, holder=holder, now=lambda: clocks.wall, clock=lambda: clocks.mono)


def run(coro):
    return asyncio.run(coro)


def test_one_holder_at_a_time_and_renewal_keeps_it():
    leases, clocks = FakeLeases(), Clocks()
    a, b = lease(leases, clocks, "a"), lease(leases, clocks, "b")
    assert run(a.acquire()) is True and a.held and a.fresh()
    assert run(b.acquire()) is False and not b.held and not b.fresh()
    for _ in range(5):  # the holder renews within the term: the other never gets it
        clocks.advance(4)
        assert run(a.acquire()) is True
        assert run(b.acquire()) is False
    assert leases.docs["sweep:test"]["holder"] == "a"


def test_an_expired_lease_goes_to_the_next_and_the_old_holder_learns_it_lost():
    leases, clocks = FakeLeases(), Clocks()
    a, b = lease(leases, clocks, "a"), lease(leases, clocks, "b")
    assert run(a.acquire())
    clocks.advance(10.5)  # a stopped renewing (died, or stalled)
    assert run(b.acquire()) is True
    assert run(a.acquire()) is False and not a.held


def test_a_holder_acts_only_within_half_the_term_since_it_renewed():
    leases, clocks = FakeLeases(), Clocks()
    a = lease(leases, clocks, "a", term_s=10)
    run(a.acquire())
    clocks.advance(4.9)
    assert a.fresh()
    clocks.advance(0.2)
    assert not a.fresh() and a.held  # still ours, but renew before going on
    assert run(a.acquire()) and a.fresh()


def test_release_hands_over_at_once_and_never_removes_another_holders_lease():
    leases, clocks = FakeLeases(), Clocks()
    a, b = lease(leases, clocks, "a"), lease(leases, clocks, "b")
    run(a.acquire())
    run(b.release())  # not b's: nothing happens
    assert leases.docs["sweep:test"]["holder"] == "a"
    run(a.release())
    assert not a.held and "sweep:test" not in leases.docs
    assert run(b.acquire()) is True


def test_a_database_error_means_not_holding_and_is_raised():
    leases, clocks = FakeLeases(), Clocks()
    a = lease(leases, clocks, "a")
    run(a.acquire())
    leases.down = True
    with pytest.raises(ServerSelectionTimeoutError):
        run(a.acquire())
    assert not a.held and not a.fresh()
    leases.down = False
    assert run(a.acquire()) is True  # our own lease, renewed


def test_the_default_holder_is_unique_per_lease():
    leases = FakeLeases()
    assert Lease(leases, "x", 1.0).holder != Lease(leases, "x", 1.0).holder
