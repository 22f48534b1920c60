"""Sessions: the token sealed with the session id, idle expiry, sign-out."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from buildingblocks.auth import Principal, Role
from console.sessions import MemorySessions, seal, unseal

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
CLERK = Principal(name="大程镇企业办", scope="dacheng", role=Role.clerk)


def test_a_sealed_token_reads_back_only_with_its_session_id():
    sealed = seal("sid-1", "dev-dacheng-clerk")
    assert b"dev-dacheng-clerk" not in sealed
    assert unseal("sid-1", sealed) == "dev-dacheng-clerk"
    assert unseal("sid-2", sealed) != "dev-dacheng-clerk"


def test_a_session_lives_while_used_and_ends_when_idle():
    asyncio.run(_lives_while_used())


async def _lives_while_used():
    store = MemorySessions(timedelta(minutes=30))
    s = await store.create("dev-dacheng-clerk", CLERK, T0)
    assert (await store.get(s.sid, T0 + timedelta(minutes=29))).token == "dev-dacheng-clerk"
    assert await store.get(s.sid, T0 + timedelta(minutes=58)) is not None  # used at 29 min: idle 29 min only
    assert await store.get(s.sid, T0 + timedelta(minutes=89)) is None
    assert await store.get(s.sid, T0 + timedelta(minutes=90)) is None  # gone for good


def test_sign_out_ends_the_session_and_ids_are_not_guessable():
    asyncio.run(_sign_out())


async def _sign_out():
    store = MemorySessions(timedelta(minutes=30))
    a = await store.create("t", CLERK, T0)
    b = await store.create("t", CLERK, T0)
    assert a.sid != b.sid and len(a.sid) >= 40 and a.csrf != b.csrf
    await store.end(a.sid)
    assert await store.get(a.sid, T0) is None
    assert await store.get(b.sid, T0) is not None
    assert a.home == "dacheng"
