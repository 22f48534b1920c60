"""Server-side sessions: the browser holds an opaque id; the person's token stays here, sealed with that id.

Only sha256(id) is a key, and the token is stored XORed with a keystream derived from the id (SHA-256 in counter
mode), so the console's database alone gives neither a session nor a token. Idle sessions expire.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Optional, Protocol

from buildingblocks.auth import Principal

TOUCH_EVERY = timedelta(minutes=1)  # last-seen is written at most this often, not on every request


def _key(sid: str) -> str:
    return hashlib.sha256(f"session:{sid}".encode()).hexdigest()


def _stream(sid: str, n: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f"seal:{sid}:{counter}".encode()).digest()
        counter += 1
    return out[:n]


def seal(sid: str, token: str) -> bytes:
    raw = token.encode("utf-8")
    return bytes(a ^ b for a, b in zip(raw, _stream(sid, len(raw))))


def unseal(sid: str, sealed: bytes) -> str:
    return bytes(a ^ b for a, b in zip(sealed, _stream(sid, len(sealed)))).decode("utf-8", errors="replace")


@dataclass
class Session:
    sid: str
    token: str
    principal: Principal
    csrf: str
    last_seen: datetime
    township: Optional[str] = None  # the township a county-wide person is looking at
    data: dict = field(default_factory=dict)

    @property
    def home(self) -> Optional[str]:
        """The person's own township; None for the county."""
        return None if self.principal.scope == "county" else self.principal.scope


class SessionStore(Protocol):
    async def create(self, token: str, principal: Principal, now: datetime) -> Session: ...
    async def get(self, sid: str, now: datetime) -> Optional[Session]: ...
    async def set_township(self, session: Session, township: str) -> None: ...
    async def end(self, sid: str) -> None: ...


class MongoSessions:
    """Sessions in the console's database, keyed by sha256(id) so a lookup goes by `_id`."""

    def __init__(self, db, idle: timedelta):
        self.sessions = db["sessions"]
        self.idle = idle

    async def ensure_indexes(self) -> None:
        # MongoDB 8 drops expired sessions itself; without TTL support they are dropped on their next use.
        try:
            await self.sessions.create_index("expires_at", expireAfterSeconds=0)
        except Exception:  # noqa: BLE001 - a store without TTL indexes still works
            pass

    async def create(self, token: str, principal: Principal, now: datetime) -> Session:
        sid = secrets.token_urlsafe(32)
        session = Session(sid, token, principal, secrets.token_urlsafe(24), now)
        await self.sessions.insert_one({
            "_id": _key(sid), "sealed": seal(sid, token), "principal": principal.model_dump(mode="json"),
            "csrf": session.csrf, "last_seen": now, "expires_at": now + self.idle, "township": None,
        })
        return session

    async def get(self, sid: str, now: datetime) -> Optional[Session]:
        doc = await self.sessions.find_one({"_id": _key(sid)})
        if doc is None:
            return None
        last_seen = _aware(doc["last_seen"])
        if now - last_seen > self.idle:
            await self.sessions.delete_one({"_id": doc["_id"]})
            return None
        if now - last_seen > TOUCH_EVERY:
            await self.sessions.update_one({"_id": doc["_id"]}, {"$set": {"last_seen": now, "expires_at": now + self.idle}})
            last_seen = now
        return Session(sid, unseal(sid, doc["sealed"]), Principal(**doc["principal"]), doc["csrf"], last_seen,
                       doc.get("township"))

    async def set_township(self, session: Session, township: str) -> None:
        await self.sessions.update_one({"_id": _key(session.sid)}, {"$set": {"township": township}})
        session.township = township

    async def end(self, sid: str) -> None:
        await self.sessions.delete_one({"_id": _key(sid)})


class MemorySessions:
    """The same rules without a server, for unit tests."""

    def __init__(self, idle: timedelta):
        self.idle = idle
        self.by_key: dict[str, dict] = {}

    async def create(self, token: str, principal: Principal, now: datetime) -> Session:
        sid = secrets.token_urlsafe(32)
        session = Session(sid, token, principal, secrets.token_urlsafe(24), now)
        self.by_key[_key(sid)] = {"sealed": seal(sid, token), "principal": principal, "csrf": session.csrf,
                                  "last_seen": now, "township": None}
        return session

    async def get(self, sid: str, now: datetime) -> Optional[Session]:
        doc = self.by_key.get(_key(sid))
        if doc is None:
            return None
        if now - doc["last_seen"] > self.idle:
            del self.by_key[_key(sid)]
            return None
        doc["last_seen"] = now
        return Session(sid, unseal(sid, doc["sealed"]), doc["principal"], doc["csrf"], now, doc["township"])

    async def set_township(self, session: Session, township: str) -> None:
        self.by_key[_key(session.sid)]["township"] = township
        session.township = township

    async def end(self, sid: str) -> None:
        self.by_key.pop(_key(sid), None)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
