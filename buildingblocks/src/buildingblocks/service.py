"""Every service has the same shape: settings, one Mongo client, one broker, an HTTP app with /health, /metrics
and its documentation pages.

A service adds its routes and its subscribers; start-up and shut-down live here once.
"""
from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import AsyncIterator, Awaitable, Callable, Optional

from aiokafka.errors import KafkaConnectionError
from fastapi import APIRouter, FastAPI, Security
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from buildingblocks import asyncapi, docs, errors, mongo
from buildingblocks import metrics as observe
from buildingblocks.auth import DEV_TOKENS, ScopeRules, TokenStore, install_gate
from buildingblocks.consumer import BatchConsumer
from buildingblocks.deadletter import DeadLetters
from buildingblocks.kafka import make_broker, publishes, servers, subscribe_batches
from buildingblocks.lease import Lease
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
    leases: list[Lease] = field(default_factory=list)  # other leases this process may hold (metrics: lease_held)
    stop_timeout_s: float = 10.0  # bound on flushing the producer at shutdown
    metrics: Optional[observe.Metrics] = None
    lag: Optional[observe.ConsumerLag] = None  # the consumer group's lag, measured on /metrics

    def __post_init__(self) -> None:
        if self.metrics is None:
            self.metrics = observe.Metrics(self.settings.service)
        self.metrics.collect(lambda: observe.consumer_families(self.consumers))
        self.metrics.collect(lambda: observe.relay_families(self.relays))
        self.metrics.collect(lambda: observe.lease_families([r.lease for r in self.relays] + self.leases))
        self.metrics.collect(lambda: self.lag.families() if self.lag else ())
        self.metrics.refresh_before_scrape(lambda: self.lag.refresh() if self.lag else asyncio.sleep(0))

    @classmethod
    def create(cls, settings: Settings) -> "Service":
        client = mongo.connect(settings)
        return cls(settings, client, mongo.database(client, settings), make_broker(settings))

    def consume(self, topics: list[str], handle, max_records: int = 500) -> None:
        """Batches of each topic → `handle(list[Received])`; offsets committed after it, bad messages dead-lettered."""
        group = self.settings.consumer_group
        for topic in topics:
            consumer = BatchConsumer(handle, DeadLetters(self.broker, group), topic=topic)
            self.consumers.append(consumer)
            subscribe_batches(self.broker, self.settings, topic, consumer, max_records)
        consumed = sorted({c.topic for c in self.consumers})
        self.lag = observe.ConsumerLag(servers(self.settings.kafka_bootstrap_servers), group, consumed)

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
                if self.lag is not None:
                    await self.lag.close()
                try:
                    # An idempotent producer never gives up on a queued send: with Kafka down, stop() would hang.
                    await asyncio.wait_for(self.broker.stop(), timeout=self.stop_timeout_s)
                except asyncio.TimeoutError:
                    log.warning("Kafka did not take the last sends within %.0f s; stopping anyway (the outbox keeps them)",
                                self.stop_timeout_s)
                await self.client.close()

        app = FastAPI(title=title, version=version, lifespan=lifespan, docs_url=None, redoc_url=None)
        app.state.tokens = TokenStore.from_file(self.settings.auth_tokens_file or DEV_TOKENS)
        install_gate(app, scope)
        errors.install_handlers(app)
        docs.install(app, title)
        asyncapi.install(app, self.broker, title, version)
        observe.install(app, self.metrics)  # last: the outermost middleware, so it sees the gate's refusals too

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

        for router in routers or []:  # every route of theirs is under /api/ and needs a token: documented so
            app.include_router(router, dependencies=[Security(docs.BEARER)])
        return app
