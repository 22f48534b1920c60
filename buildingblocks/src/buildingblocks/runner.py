"""Run a service's ASGI app with uvicorn on the settings' host and port, logging JSON lines (logs.py)."""
from __future__ import annotations

from typing import Any

import uvicorn

from buildingblocks import logs


def run(app_path: str, settings: Any) -> None:
    """`settings`: a buildingblocks Settings (or the console's): service, host, port, log_level, log_format."""
    cfg = logs.setup(settings.service, settings.log_level, getattr(settings, "log_format", "json"))
    uvicorn.run(app_path, host=settings.host, port=settings.port, log_level=settings.log_level, log_config=cfg,
                factory=True)
