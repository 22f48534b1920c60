"""What a handler can refuse, and the HTTP status each becomes: the same in every service."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse


class NotFound(Exception):
    def __init__(self, what: str, ids: list[str]):
        super().__init__(f"unknown {what}: {', '.join(ids)}")
        self.what, self.ids = what, ids


class Conflict(Exception):
    def __init__(self, message: str, **detail):
        super().__init__(message)
        self.detail = detail


class Invalid(Exception):
    """Bad input the request model could not see (it needs stored state); names the field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class Refused(Exception):
    """Refused with a status of its own (413, 415, …) and a body of named details, e.g. an evidence file."""

    def __init__(self, status: int, message: str, **detail):
        super().__init__(message)
        self.status, self.detail = status, detail


def install_handlers(app: FastAPI) -> None:
    """Each refusal to its status code, with a body naming what was unknown, in conflict or invalid."""

    @app.exception_handler(NotFound)
    async def not_found(_request, exc: NotFound):
        return JSONResponse({"detail": str(exc), "unknown": {exc.what: exc.ids}}, status_code=404)

    @app.exception_handler(Conflict)
    async def conflict(_request, exc: Conflict):
        return JSONResponse({"detail": str(exc), **exc.detail}, status_code=409)

    @app.exception_handler(Refused)
    async def refused(_request, exc: Refused):
        return JSONResponse({"detail": str(exc), **exc.detail}, status_code=exc.status)

    @app.exception_handler(Invalid)
    async def invalid(_request, exc: Invalid):
        return JSONResponse({"detail": [{"loc": ["body", exc.field], "msg": exc.message, "type": "value_error"}]}, status_code=422)
