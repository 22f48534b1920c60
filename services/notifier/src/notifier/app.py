import asyncio
import logging

from fastapi import FastAPI

from buildingblocks.clock import Clock
from buildingblocks.clock import clock as process_clock
from buildingblocks.consumer import Received
from buildingblocks.lease import LEASES, Lease
from buildingblocks.service import Service
from contracts.topics import ISSUES, VISITS
from notifier import api, handlers, settings
from notifier.channels import Channels
from notifier.sender import Sender
from notifier.store import Store

log = logging.getLogger("notifier")


def create_app(clock: Clock = process_clock) -> FastAPI:
    """The service; `clock` stamps notices and decides quiet hours and the digest's week (tests pass a FixedClock)."""
    config = settings.load()
    service = Service.create(config)
    store = Store(service.db)
    # One replica sends and makes the digest: the holder of this lease. A dead holder's lease expires after its term.
    lease = Lease(service.db[LEASES], "notifier:sender", config.sender_lease_term_s)
    service.leases.append(lease)
    channels = Channels(config)
    deliveries = service.metrics.counter("notifier_deliveries", "Delivery attempts by channel and outcome "
                                         "(sent; retry: failed, tried again later; failed: the last attempt)",
                                         ["channel", "outcome"])
    sender = Sender(store, channels, clock, config, lease, deliveries)
    tasks: dict[str, asyncio.Task] = {}

    async def on_events(batch: list[Received]) -> None:
        for received in batch:  # in order: a unit or enterprise registered before the issue that names it
            await handlers.handle(store, received.event, clock)

    async def start(_service: Service) -> None:
        await store.ensure_indexes()
        tasks["sender"] = asyncio.create_task(sender.run_forever(), name="notifier:sender")

    async def stop(_service: Service) -> None:
        task = tasks.pop("sender", None)
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        await channels.close()
        try:
            await lease.release()
        except Exception as exc:  # it expires by itself
            log.warning("could not release the sender lease: %s", exc)

    service.on_start.append(start)
    service.on_stop.append(stop)
    service.consume([VISITS, ISSUES], on_events, max_records=200)
    app = service.http_app("notifier", "0.1.0", routers=[api.router], scope=api.SCOPE_RULES)
    app.state.store = store
    app.state.sender = sender
    app.state.clock = clock
    return app
