from fastapi import FastAPI

from buildingblocks.service import Service
from visits import settings


def create_app() -> FastAPI:
    return Service.create(settings.load()).http_app("visits", "0.1.0")
