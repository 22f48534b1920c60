from fastapi import FastAPI

from buildingblocks.service import Service
from reporting import api, consumers, settings
from reporting.store import Store


def create_app() -> FastAPI:
    service = Service.create(settings.load())
    store = Store(service.db)

    async def indexes(_service: Service) -> None:
        await store.ensure_indexes()

    service.on_start.insert(0, indexes)
    consumers.subscribe(service, store)
    app = service.http_app("reporting", "0.1.0", routers=[api.router, api.bulletin_router, api.scorecard_router, api.ledger_router])
    app.state.store = store
    app.state.bootstrap = service.settings.kafka_bootstrap_servers
    return app
