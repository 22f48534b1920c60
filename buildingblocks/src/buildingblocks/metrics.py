"""`/metrics` in the Prometheus text format: one registry per service (prometheus_client, the Prometheus project's
own client: its text format, escaping and histograms need no code of ours).

What is counted where:
- HTTP: the middleware below, by route template (never the raw path: ids stay out) and status, with latency.
- Consumers, dead letters, outbox relays, leases: read from the objects at scrape time (`Metrics.collect`), so the
  code that does the work keeps plain counters (the same ones /health shows) and imports nothing of this.
- Consumer lag: `ConsumerLag` asks Kafka for the group's committed offsets and the partitions' end offsets when
  /metrics is read (at most every `max_age_s`), with clients of its own: it is the group's lag, whichever replica
  holds the partitions, and it is there before this process has been assigned any.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Iterable, Optional

from fastapi import Request
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder

from buildingblocks import logs

log = logging.getLogger("metrics")
disable_created_metrics()  # no `*_created` series beside each counter: Prometheus does not need them
UNMATCHED = "unmatched"  # the route label of a path no route serves
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
TENANT_PARAMS = ("township", "scope")  # the path parameters naming whose data a request is about
COUNTY = "county"
Families = Callable[[], Iterable[Metric]]


class Metrics:
    """One service's metrics. A registry of its own, so two apps in one process (the tests) never mix."""

    def __init__(self, service: str):
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        self.requests = Counter("http_requests", "HTTP requests answered, by route template and status",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("http_request_duration_seconds", "Time to answer, by route template and status",
                                 ["method", "route", "status"], registry=self.registry)
        self._families: list[Families] = []
        self._refresh: list[Callable[[], Awaitable[None]]] = []
        self.registry.register(_Families(self._families))

    def counter(self, name: str, documentation: str, labels: Iterable[str] = ()) -> Counter:
        return Counter(name, documentation, list(labels), registry=self.registry)

    def gauge(self, name: str, documentation: str, labels: Iterable[str] = ()) -> Gauge:
        return Gauge(name, documentation, list(labels), registry=self.registry)

    def collect(self, families: Families) -> None:
        """`families()` is called on every scrape; it yields metric families read from live objects."""
        self._families.append(families)

    def refresh_before_scrape(self, refresh: Callable[[], Awaitable[None]]) -> None:
        self._refresh.append(refresh)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "other"
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route, str(status)).observe(seconds)

    async def scrape(self, accept: Optional[str] = None) -> tuple[bytes, str]:
        """The text (or OpenMetrics, if the Accept header asks) and its content type."""
        for refresh in self._refresh:
            try:
                await refresh()
            except Exception:  # a scrape reports what it has
                log.exception("refreshing metrics failed")
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type


class _Families:
    def __init__(self, sources: list[Families]):
        self.sources = sources

    def collect(self) -> Iterable[Metric]:
        for source in self.sources:
            yield from (family for family in source() if family.samples)  # no series: not even a HELP line

    def describe(self) -> Iterable[Metric]:
        return ()  # computed at scrape time; names may depend on what the service runs


# --- what a service runs: consumers, dead letters, relays, leases ----------------------------------------------------

def consumer_families(consumers: Iterable[Any]) -> Iterable[Metric]:
    """From buildingblocks.consumer.BatchConsumer: `topic`, `group`, `stats`, `dead_letters.counts`."""
    labels = ["topic", "group"]
    batches = CounterMetricFamily("consumer_batches", "Batches handled and committed", labels=labels)
    records = CounterMetricFamily("consumer_records", "Records handled (dead letters included)", labels=labels)
    retries = CounterMetricFamily("consumer_retries", "Batches given back after a transient failure", labels=labels)
    dead = CounterMetricFamily("consumer_dead_letters", "Records sent to <topic>.dlq, by reason",
                               labels=[*labels, "reason"])
    for c in consumers:
        key = [c.topic, c.group]
        batches.add_metric(key, c.stats["batches"])
        records.add_metric(key, c.stats["records"])
        retries.add_metric(key, c.stats["retries"])
        for reason, n in sorted(getattr(c.dead_letters, "counts", {}).items()):
            dead.add_metric([*key, reason], n)
    return [batches, records, retries, dead]


def relay_families(relays: Iterable[Any], now_ns: Callable[[], int] = time.time_ns) -> Iterable[Metric]:
    """From buildingblocks.outbox.Relay: its stats and `backlog()` (count, oldest seq in ns or None)."""
    pending = GaugeMetricFamily("outbox_pending", "Outbox entries written and not yet acknowledged by Kafka, as the "
                                "relay knows them (the leader's: its writes and its last sweep; others 0)",
                                labels=["relay"])
    oldest = GaugeMetricFamily("outbox_oldest_pending_age_seconds", "Age of the oldest of those (0 when none)",
                               labels=["relay"])
    published = CounterMetricFamily("outbox_published", "Events this process published from the outbox",
                                    labels=["relay"])
    errors = CounterMetricFamily("outbox_relay_errors", "Relay passes that failed (Kafka or the store)",
                                 labels=["relay"])
    for r in relays:
        count, first = r.backlog()
        pending.add_metric([r.name], count)
        oldest.add_metric([r.name], max(0.0, (now_ns() - first) / 1e9) if first is not None else 0.0)
        published.add_metric([r.name], r.stats["published"])
        errors.add_metric([r.name], r.stats["errors"])
    return [pending, oldest, published, errors]


def lease_families(leases: Iterable[Any]) -> Iterable[Metric]:
    """From buildingblocks.lease.Lease: 1 while this process holds it (the outbox relay's, the sweep's)."""
    held = GaugeMetricFamily("lease_held", "1 if this process holds the lease now", labels=["lease"])
    for lease in leases:
        held.add_metric([lease.name], 1.0 if lease.holding() else 0.0)
    return [held]


# --- consumer lag ---------------------------------------------------------------------------------------------------

class ConsumerLag:
    """End offset minus the group's committed offset, per partition of `topics` (a partition the group never
    committed counts from its first offset: the consumers start at the earliest)."""

    def __init__(self, bootstrap: list[str], group: str, topics: list[str], max_age_s: float = 2.0,
                 timeout_s: float = 5.0, clients: Optional[Callable[[], Awaitable[tuple[Any, Any]]]] = None):
        self.bootstrap, self.group, self.topics = bootstrap, group, list(topics)
        self.max_age_s, self.timeout_s = max_age_s, timeout_s
        self._clients_factory = clients or self._connect
        self._clients: Optional[tuple[Any, Any]] = None
        self._measured_at = float("-inf")
        self._lock = asyncio.Lock()
        self.partitions: dict[tuple[str, int], tuple[int, int]] = {}  # (topic, partition) → (committed, end)
        self.errors = 0

    async def _connect(self) -> tuple[Any, Any]:
        from aiokafka import AIOKafkaConsumer
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=int(self.timeout_s * 1000))
        reader = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
                                  request_timeout_ms=int(self.timeout_s * 1000))
        try:
            await admin.start()
            await reader.start()
        except BaseException:
            await admin.close()
            await reader.stop()
            raise
        return admin, reader

    async def refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._measured_at < self.max_age_s:
                return
            try:
                self.partitions = await asyncio.wait_for(self._measure(), self.timeout_s)
                self._measured_at = time.monotonic()
            except Exception as exc:
                self.errors += 1
                self.partitions = {}  # stale numbers would look like a consumer that stopped
                log.warning("consumer lag of %s not measured: %s: %s", self.group, type(exc).__name__, exc)
                await self.close()

    async def _measure(self) -> dict[tuple[str, int], tuple[int, int]]:
        from aiokafka import TopicPartition

        if self._clients is None:
            self._clients = await self._clients_factory()
        admin, reader = self._clients
        described = await admin.describe_topics(self.topics)
        tps = [TopicPartition(t["topic"], p["partition"]) for t in described if not t["error_code"]
               for p in sorted(t["partitions"], key=lambda p: p["partition"])]
        committed = await admin.list_consumer_group_offsets(self.group, partitions=tps)
        ends = await reader.end_offsets(tps)
        firsts = await reader.beginning_offsets(tps)
        found = {}
        for tp in tps:
            mark = committed.get(tp)
            at = mark.offset if mark is not None and mark.offset >= 0 else firsts[tp]
            found[(tp.topic, tp.partition)] = (at, ends[tp])
        return found

    def families(self) -> Iterable[Metric]:
        labels = ["group", "topic", "partition"]
        lag = GaugeMetricFamily("kafka_consumer_lag", "Records on the partition the group has not committed yet",
                                labels=labels)
        committed = GaugeMetricFamily("kafka_consumer_committed_offset", "The group's committed offset",
                                      labels=labels)
        end = GaugeMetricFamily("kafka_topic_end_offset", "The partition's end offset (the next record's)",
                                labels=labels)
        for (topic, partition), (at, last) in sorted(self.partitions.items()):
            key = [self.group, topic, str(partition)]
            lag.add_metric(key, max(0, last - at))
            committed.add_metric(key, at)
            end.add_metric(key, last)
        errors = CounterMetricFamily("kafka_consumer_lag_errors", "Lag measurements that failed",
                                     labels=["group"])
        errors.add_metric([self.group], self.errors)
        return [lag, committed, end, errors]

    async def close(self) -> None:
        clients, self._clients = self._clients, None
        if clients is not None:
            admin, reader = clients
            for stop in (admin.close, reader.stop):
                try:
                    await stop()
                except Exception:  # closing what may be broken already
                    pass


# --- HTTP ------------------------------------------------------------------------------------------------------------

def _route_contexts(app: Any) -> list[Any]:
    try:  # FastAPI ≥ 0.165 keeps included routers as lazily expanded entries of app.routes
        from fastapi.routing import iter_route_contexts
        return list(iter_route_contexts(app.routes))
    except ImportError:  # pragma: no cover - older FastAPI
        return list(app.routes)


class HttpObserver:
    """ASGI middleware, outermost: every request (refused by the token gate, failed, or served) counted by route
    template and status, timed, and logged with its request id (X-Request-ID, or a new one, sent back) and the
    township of its path."""

    def __init__(self, app: Any, metrics: Metrics):
        self.app = app
        self.metrics = metrics
        self._routes: Optional[list[Any]] = None

    def route(self, scope: dict) -> tuple[str, dict[str, Any]]:
        """The template of the route that serves this path (or answers 405 for it), and its path parameters."""
        from starlette.routing import Match

        if self._routes is None:
            self._routes = _route_contexts(scope["app"]) if "app" in scope else []
        partial = None
        for route in self._routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                return route.path, child.get("path_params", {})
            if match is Match.PARTIAL and partial is None:
                partial = route.path, child.get("path_params", {})
        return partial or (UNMATCHED, {})

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route, params = self.route(scope)
        headers = dict(scope.get("headers") or ())
        rid = logs.request_id(headers.get(b"x-request-id", b"").decode("latin-1"))
        tenant = next((str(params[p])[:64] for p in TENANT_PARAMS if params.get(p) not in (None, COUNTY)), None)
        token = logs.bind(request_id=rid, township=tenant)
        status, started = 500, time.perf_counter()

        async def answer(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            self.metrics.observe(scope["method"], route, status, time.perf_counter() - started)
            logs.unbind(token)


def install(app: Any, metrics: Metrics, path: str = "/metrics") -> None:
    """The middleware and the `/metrics` route (no token, like /health; not in the OpenAPI document)."""
    app.add_middleware(HttpObserver, metrics=metrics)

    @app.get(path, include_in_schema=False)
    async def metrics_text(request: Request) -> Response:
        body, content_type = await metrics.scrape(request.headers.get("accept"))
        return Response(body, headers={"Content-Type": content_type})
