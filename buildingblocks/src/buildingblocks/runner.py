"""Run a service's ASGI app with uvicorn on the settings' host and port."""
from __future__ import annotations

import logging

import uvicorn

from buildingblocks.settings import Settings


def run(app_path: str, settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(app_path, host=settings.host, port=settings.port, log_level=settings.log_level, factory=True)
