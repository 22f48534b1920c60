from fastapi import FastAPI

from buildingblocks.clock import Clock
from buildingblocks.clock import clock as process_clock
from buildingblocks.service import Service
from reporting import api, consumers, documents_api, evaluation_api, generations, settings
from reporting.store import Store
from reporting.views import Views


def create_app(clock: Clock = process_clock) -> FastAPI:
    """The service; `clock` stamps what it publishes (a bulletin's published_at)."""
    service = Service.create(settings.load())

    async def indexes(_service: Service) -> None:
        for generation in (await generations.state(service.db))["live"]:
            await Store(service.db, generations.prefix(generation)).ensure_indexes()

    service.on_start.insert(0, indexes)
    views = Views()
    consumers.subscribe(service)
    routers = [api.router, api.bulletin_router, documents_api.router, api.scorecard_router, api.quota_router, api.ledger_router,
               evaluation_api.weights_router, evaluation_api.evaluation_router]
    app = service.http_app("reporting", "0.1.0", routers=routers, scope=api.SCOPE_RULES)
    app.state.db = service.db
    app.state.views = views
    app.state.bootstrap = service.settings.kafka_bootstrap_servers
    app.state.clock = clock
    return app
