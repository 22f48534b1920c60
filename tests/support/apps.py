"""A service's ASGI app in this process, on the real Kafka and store, with its lifespan run for real."""
from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable

import httpx
from fastapi import FastAPI

DEV_TOKENS = {  # the development tokens of the README (buildingblocks/dev_tokens.json)
    "county_admin": "dev-county-admin",
    "county_viewer": "dev-county-viewer",
    "dacheng_clerk": "dev-dacheng-clerk",
    "dacheng_viewer": "dev-dacheng-viewer",
    "xiyang_clerk": "dev-xiyang-clerk",
}


def bearer(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {DEV_TOKENS[name]}"}


@asynccontextmanager
async def running(create_app: Callable[[], FastAPI], monkeypatch) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setenv("MONGODB_DB", f"it_{uuid.uuid4().hex[:10]}")
    monkeypatch.setenv("CONSUMER_GROUP", f"it.{uuid.uuid4().hex}")
    app = create_app()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            client.app = app
            yield client
