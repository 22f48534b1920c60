from fastapi import FastAPI

from buildingblocks.service import Service
from issues import settings


def create_app() -> FastAPI:
    return Service.create(settings.load()).http_app("issues", "0.1.0")
