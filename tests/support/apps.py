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
    "county_leader": "dev-county-leader",  # a 包抓 county leader (official_id cl-wang-jianguo), county viewer
    "county_supervisor": "dev-county-supervisor",  # 县督查室: decides extension requests, follows up
    "dacheng_unit_rss": "dev-dacheng-unit-rss",  # handler of unit dacheng-rss (大程镇人社所), scope dacheng
    "county_unit_rsj": "dev-county-unit-rsj",  # handler of unit c-rsj (县人社局), scope county
    "county_unit_zrzyj": "dev-county-unit-zrzyj",  # handler of unit c-zrzyj (县自然资源局), scope county
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


@asynccontextmanager
async def replica(create_app: Callable[[], FastAPI]) -> AsyncIterator[httpx.AsyncClient]:
    """One more instance of a service on the database and consumer group already in the environment: with
    `shared_state`, two of these are two replicas of one service (one store, one Kafka group)."""
    app = create_app()
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
            client.app = app
            yield client


def shared_state(monkeypatch, **env: str) -> str:
    """A database and consumer group of the test's own for the replicas it starts next; returns the database."""
    db = f"it_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("MONGODB_DB", db)
    monkeypatch.setenv("CONSUMER_GROUP", f"it.{uuid.uuid4().hex}")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return db
