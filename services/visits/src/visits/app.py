import asyncio
import logging

from fastapi import FastAPI

from buildingblocks import clock as clocks
from buildingblocks import outbox
from buildingblocks.clock import Clock
from buildingblocks.evidence_store import EVIDENCE, EvidenceStore
from buildingblocks.service import Service
from buildingblocks.consumer import Received
from contracts.topics import ISSUES, VISITS
from visits import api, checkin, contacts, evidence, handlers, open_issues, settings
from visits.repository import OUTBOX_COLLECTIONS, Repository

log = logging.getLogger("visits")


def create_app(clock: Clock = clocks.clock) -> FastAPI:
    """The visits service; `clock` is where every "today" and "now" of it comes from (the process's by default)."""
    config = settings.load()
    service = Service.create(config)
    repository = Repository(service.db)
    evidence_store = EvidenceStore(service.db)  # photos and files of visits, in GridFS beside the visits
    recover_every_s = config.recovery_interval_s
    tasks: dict[str, asyncio.Task] = {}

    async def start(_service: Service) -> None:
        await repository.ensure_indexes()
        await contacts.ensure_indexes(service.db)
        await repository.seed_townships(clock.now())
        await evidence_store.ensure_indexes()
        tasks["recovery"] = asyncio.create_task(recover_forever(), name="visits:recover-reserved")

    async def stop(_service: Service) -> None:
        task = tasks.pop("recovery", None)
        if task is not None:
            task.cancel()

    async def recover_forever() -> None:
        # Visits reserved by a process that died before storing them (handlers.log_visit). Idempotent, so every
        # replica may run it; it finds nothing almost always.
        while True:
            try:
                if stored := await handlers.recover_reserved(repository, clock=clock):
                    log.warning("stored %d visits reserved by a process that died before storing them", stored)
            except Exception:  # the next pass tries again
                log.exception("recovery of reserved visits failed")
            await asyncio.sleep(recover_every_s)

    service.on_start.append(start)
    service.on_stop.append(stop)
    service.relays.append(outbox.attach(service, [*OUTBOX_COLLECTIONS, EVIDENCE]))
    service.publishes(VISITS)

    async def projected(batch: list[Received]) -> None:
        seen = [r.event for r in batch]
        await open_issues.project(service.db, seen)  # 我的企业: which issues are open
        await contacts.project(service.db, seen)  # 接触次数: its own visits and plans, and demands from outside

    service.consume([VISITS, ISSUES], projected)
    app = service.http_app("visits", "0.1.0", routers=[api.registry_router, api.officials_router, api.router,
                                                      api.contacts_router, evidence.router, checkin.router],
                           scope=api.SCOPE_RULES)
    app.state.repository = repository
    app.state.evidence = evidence_store
    app.state.check_in_radius_m = config.check_in_radius_m
    app.state.clock = clock
    return app
