"""Logs as JSON lines: one object per line with time, level, service, logger, message and what the line is about.

What it is about comes from a context variable: the HTTP middleware (metrics.py) binds the request id and the
township of the path, the batch consumer binds the batch (topic, partition, offsets) and, record by record, the
event id and township. `bound(...)` adds fields for the duration of a block, in this task and the tasks it starts.
`LOG_FORMAT=text` gives the old human-readable lines (with the same fields at the end).
"""
from __future__ import annotations

import json
import logging
import logging.config
import re
import uuid
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import datetime, timezone
from typing import Any, Iterator, Optional

TRACE = 5  # uvicorn's level below debug
_fields: ContextVar[dict[str, Any]] = ContextVar("log_fields", default={})
# The attributes every LogRecord has: anything else on a record was passed as `extra=` and is logged as a field.
# (uvicorn's `color_message` is its message again, with terminal colours.)
_RECORD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName",
                                                                              "color_message"}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")


def bind(**fields: Any) -> Token:
    """Add fields to the context until `unbind(token)`; None values are left out."""
    return _fields.set({**_fields.get(), **{k: v for k, v in fields.items() if v is not None}})


def unbind(token: Token) -> None:
    _fields.reset(token)


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    token = bind(**fields)
    try:
        yield
    finally:
        unbind(token)


def context() -> dict[str, Any]:
    return dict(_fields.get())


def request_id(sent: Optional[str]) -> str:
    """The client's X-Request-ID if it is a plausible id (no spaces or quotes, at most 128), else a new one."""
    if sent and _REQUEST_ID.match(sent):
        return sent
    return uuid.uuid4().hex


def _extra(record: logging.LogRecord) -> dict[str, Any]:
    fields = {k: v for k, v in vars(record).items() if k not in _RECORD and not k.startswith("_")}
    if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
        client, method, path, version, status = record.args  # uvicorn's access line, as fields too
        fields.update(client=client, method=method, path=path, http_version=version, status=status)
    return fields


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str = "", **_: Any):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_fields.get())
        line.update(_extra(record))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self, service: str = "", **_: Any):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = {**_fields.get(), **{k: v for k, v in _extra(record).items() if record.name != "uvicorn.access"}}
        return text + "".join(f" {k}={v}" for k, v in fields.items()) if fields else text


def config(service: str, level: str = "info", fmt: str = "json") -> dict[str, Any]:
    """A logging.config.dictConfig: everything (uvicorn's error and access logs too) as `fmt` lines on stderr."""
    logging.addLevelName(TRACE, "TRACE")
    level = level.upper()
    formatter = {"()": f"{__name__}.{'JsonFormatter' if fmt == 'json' else 'TextFormatter'}", "service": service}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "line"}},
        "root": {"level": level, "handlers": ["stderr"]},
        # uvicorn's own configuration would give its loggers handlers of their own: they go through the root here.
        "loggers": {name: {"level": level, "handlers": [], "propagate": True}
                    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")},
    }


def setup(service: str, level: str = "info", fmt: str = "json") -> dict[str, Any]:
    """Configure this process's logging; returns the configuration (uvicorn takes it as its log_config)."""
    cfg = config(service, level, fmt)
    logging.config.dictConfig(cfg)
    return cfg
