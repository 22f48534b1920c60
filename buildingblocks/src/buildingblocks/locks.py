"""One writer at a time per document, within this process.

FerretDB 1.24 applies an update as read-modify-write of the whole document without a lock, so two concurrent
updates of one document (a handler's change and the outbox relay's removal) can lose one of them. MongoDB is
atomic per document and needs none of this; on FerretDB it makes a single service process safe.
"""
from __future__ import annotations

import asyncio
import weakref
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

_locks: "weakref.WeakValueDictionary[tuple[str, Any], asyncio.Lock]" = weakref.WeakValueDictionary()


@asynccontextmanager
async def document(collection: str, doc_id: Any) -> AsyncIterator[None]:
    lock = _locks.get((collection, doc_id))
    if lock is None:
        lock = _locks[(collection, doc_id)] = asyncio.Lock()
    async with lock:
        yield
