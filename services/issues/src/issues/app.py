import asyncio
import logging
import os

from fastapi import FastAPI

from buildingblocks import outbox
from buildingblocks.service import Service
from issues import api, domain, handlers, intake, settings
from issues.calendar import WorkCalendar, builtin_schedules
from issues.repository import OUTBOX_COLLECTIONS, Repository

log = logging.getLogger("issues")


def create_app() -> FastAPI:
    service = Service.create(settings.load())
    repo = Repository(service.db)
    ctx = handlers.Context(repo, WorkCalendar(builtin_schedules()))
    sweep_every_s = float(os.environ.get("SWEEP_INTERVAL_S", "60"))
    sweeper: dict[str, asyncio.Task] = {}

    async def start(_service: Service) -> None:
        await repo.ensure_indexes()
        ctx.calendar = WorkCalendar({**builtin_schedules(), **await repo.schedules()})
        sweeper["task"] = asyncio.create_task(sweep_forever())

    async def stop(_service: Service) -> None:
        sweeper["task"].cancel()

    async def sweep_forever() -> None:
        while True:
            await asyncio.sleep(sweep_every_s)
            try:
                ctx.calendar = WorkCalendar({**builtin_schedules(), **await repo.schedules()})  # loaded elsewhere too
                for township in await repo.townships():
                    await handlers.sweep(ctx, township, domain.today())
            except Exception:  # the next sweep tries again
                log.exception("escalation sweep failed")

    service.on_start.append(start)
    service.on_stop.append(stop)
    service.relays.append(outbox.attach(service, OUTBOX_COLLECTIONS))
    intake.subscribe(service, ctx)
    app = service.http_app("issues", "0.1.0", routers=[api.router])
    app.state.ctx = ctx
    return app
