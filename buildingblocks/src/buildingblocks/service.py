"""Every service has the same shape: settings, one Mongo client, one broker, an HTTP app with /health.

A service adds its routes and its subscribers; start-up and shut-down live here once.
"""
from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import AsyncIterator, Awaitable, Callable, Optional

from aiokafka.errors import KafkaConnectionError
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from buildingblocks import asyncapi, errors, mongo
from buildingblocks.auth import ScopeRules, TokenStore, install_gate
from buildingblocks.consumer import BatchConsumer
from buildingblocks.deadletter import DeadLetters
from buildingblocks.kafka import make_broker, publishes, subscribe_batches
from buildingblocks.settings import Settings

log = logging.getLogger("service")
Hook = Callable[["Service"], Awaitable[None]]


@dataclass
class Service:
    settings: Settings
    client: AsyncMongoClient
    db: AsyncDatabase
    broker: KafkaBroker
    on_start: list[Hook] = field(default_factory=list)
    on_stop: list[Hook] = field(default_factory=list)
    consumers: list[BatchConsumer] = field(default_factory=list)
    relays: list = field(default_factory=list)  # outbox relays, shown on /health
    stop_timeout_s: float = 10.0  # bound on flushing the producer at shutdown

    @classmethod
    def create(cls, settings: Settings) -> "Service":
        client = mongo.connect(settings)
        return cls(settings, client, mongo.database(client, settings), make_broker(settings))

    def consume(self, topics: list[str], handle, max_records: int = 500) -> None:
        """Batches of each topic → `handle(list[Received])`; offsets committed after it, bad messages dead-lettered."""
        for topic in topics:
            consumer = BatchConsumer(handle, DeadLetters(self.broker, self.settings.consumer_group))
            self.consumers.append(consumer)
            subscribe_batches(self.broker, self.settings, topic, consumer, max_records)

    def publishes(self, topic: str) -> None:
        """Declare a topic this service's outbox relay publishes to: the AsyncAPI document shows its events."""
        publishes(self.broker, self.settings, topic)

    async def start_broker(self, timeout_s: float = 120.0) -> None:
        # Kafka may come up after us (a restart, compose ordering): keep trying rather than die.
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            try:
                await self.broker.start()
                return
            except KafkaConnectionError as exc:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                log.warning("Kafka not reachable yet (%s); retrying", exc)
                await self.broker.stop()
                await asyncio.sleep(1.0)

    async def health(self) -> dict[str, str]:
        async def kafka() -> None:
            if not await self.broker.ping(timeout=3.0):
                raise ConnectionError("broker does not answer")

        checks = {"mongo": lambda: mongo.ping(self.client), "kafka": kafka}
        results = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), timeout=3.0)
                results[name] = "ok"
            except Exception as exc:  # a health check reports; it never raises
                results[name] = f"{type(exc).__name__}: {exc}"[:200]
        return results

    def http_app(self, title: str, version: str, routers: Optional[list[APIRouter]] = None, *,
                 scope: ScopeRules) -> FastAPI:
        """The HTTP app; `scope`: which of the service's paths name a township or are the county's (auth.gate)."""

        @asynccontextmanager
        async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
            for hook in self.on_start:  # before the broker: indexes exist before the first event arrives
                await hook(self)
            await self.start_broker()
            try:
                yield
            finally:
                for hook in self.on_stop:
                    await hook(self)
                try:
                    # An idempotent producer never gives up on a queued send: with Kafka down, stop() would hang.
                    await asyncio.wait_for(self.broker.stop(), timeout=self.stop_timeout_s)
                except asyncio.TimeoutError:
                    log.warning("Kafka did not take the last sends within %.0f s; stopping anyway (the outbox keeps them)",
                                self.stop_timeout_s)
                await self.client.close()

        app = FastAPI(title=title, version=version, lifespan=lifespan)
        app.state.tokens = TokenStore.from_env()
        install_gate(app, scope)
        errors.install_handlers(app)
        asyncapi.install(app, self.broker, title, version)

        @app.get("/health", tags=["ops"], summary="Liveness and dependency check (no auth)")
        async def health() -> JSONResponse:
            results = await self.health()
            ok = all(v == "ok" for v in results.values())
            body = {"status": "ok" if ok else "degraded", "service": title, "checks": results}
            if self.consumers:
                body["consumed"] = [c.stats for c in self.consumers]
            if self.relays:
                body["outbox"] = [r.stats for r in self.relays]
            return JSONResponse(
                body,
                status_code=200 if ok else 503,
            )

        # Liveness only, no I/O and no auth: the bench's latency baseline. Left out of the OpenAPI document, which
        # lists the contract's endpoints (the security tests derive the token-protected operations from it).
        @app.get("/livez", include_in_schema=False)
        async def livez() -> dict[str, bool]:
            return {"live": True}

        for router in routers or []:
            app.include_router(router)
        return app
