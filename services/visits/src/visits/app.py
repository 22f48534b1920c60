from fastapi import FastAPI

from buildingblocks import outbox
from buildingblocks.service import Service
from visits import api, settings
from visits.repository import OUTBOX_COLLECTIONS, Repository


def create_app() -> FastAPI:
    service = Service.create(settings.load())
    repository = Repository(service.db)

    async def indexes(_service: Service) -> None:
        await repository.ensure_indexes()

    service.on_start.append(indexes)
    service.relays.append(outbox.attach(service, OUTBOX_COLLECTIONS))
    app = service.http_app("visits", "0.1.0", routers=[api.router])
    app.state.repository = repository
    return app
