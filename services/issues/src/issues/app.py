import asyncio
import logging

from fastapi import FastAPI

from buildingblocks import outbox
from buildingblocks.clock import Clock
from buildingblocks.clock import clock as process_clock
from buildingblocks.evidence_store import EVIDENCE, EvidenceStore
from buildingblocks.lease import LEASES, Lease
from buildingblocks.service import Service
from contracts.topics import ISSUES
from issues import api, evidence, handlers, intake, settings
from issues.metrics import Escalations
from issues.calendar import WorkCalendar, builtin_schedules
from issues.repository import OUTBOX_COLLECTIONS, Repository

log = logging.getLogger("issues")


def create_app(clock: Clock = process_clock) -> FastAPI:
    """The service; `clock` says what day it is to the handlers, the sweep and the request checks (tests pass a
    FixedClock; the process's clock follows CLOCK_TODAY)."""
    config = settings.load()
    service = Service.create(config)
    repo = Repository(service.db)
    evidence_store = EvidenceStore(service.db)  # photos and files of issues (closure proof), in GridFS
    ctx = handlers.Context(repo, WorkCalendar(builtin_schedules()), clock=clock)
    sweep_every_s = config.sweep_interval_s
    # One replica sweeps: the holder of this lease, renewed every sweep. A dead holder's lease expires after the term.
    lease = Lease(service.db[LEASES], "sweep:escalation", config.sweep_lease_term_s)
    service.leases.append(lease)
    escalations = Escalations(service.metrics)
    stats = {"sweeps": 0, "leader": False, "last_error": None}
    sweeper: dict[str, asyncio.Task] = {}

    async def start(_service: Service) -> None:
        await repo.ensure_indexes()
        await evidence_store.ensure_indexes()
        await ctx.work_calendar()
        sweeper["task"] = asyncio.create_task(sweep_forever(), name="issues:escalation-sweep")

    async def stop(_service: Service) -> None:
        task = sweeper.pop("task", None)
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        try:
            await lease.release()  # another replica takes over at its next sweep
        except Exception as exc:  # it expires by itself
            log.warning("could not release the sweep lease: %s", exc)

    async def sweep_forever() -> None:
        while True:
            await asyncio.sleep(sweep_every_s)
            try:
                stats["leader"] = await lease.acquire()
                if not stats["leader"]:
                    continue
                for township in await repo.townships():
                    if not lease.fresh() and not await lease.acquire():
                        break  # lost it mid-sweep: the new holder sweeps (each level change is a compare-and-set)
                    escalations.count(await handlers.sweep(ctx, township))  # today by the app's clock
                stats["sweeps"] += 1
            except Exception as exc:  # the next sweep tries again
                stats["last_error"] = f"{type(exc).__name__}: {exc}"[:300]
                log.exception("escalation sweep failed")

    service.on_start.append(start)
    service.on_stop.append(stop)
    service.relays.append(outbox.attach(service, [*OUTBOX_COLLECTIONS, EVIDENCE]))
    service.publishes(ISSUES)
    intake.subscribe(service, ctx)
    app = service.http_app("issues", "0.1.0", routers=[api.router, evidence.router], scope=api.SCOPE_RULES)
    app.state.ctx = ctx
    app.state.evidence = evidence_store
    app.state.sweep = stats
    app.state.escalations = escalations
    return app
