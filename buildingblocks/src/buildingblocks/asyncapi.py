"""A service's AsyncAPI document: FastStream's (AsyncAPI 3.0), from the subscribers and publishers declared on the
service's broker (buildingblocks.kafka). Served at /asyncapi (JSON) and /asyncapi.yaml.

    python -m buildingblocks.asyncapi [SERVICE ...]      writes docs/asyncapi/<service>.json (default: all four)

The checked-in copies are made with the default settings (server 127.0.0.1:9092, the services' own consumer
groups), whatever this shell has.
"""
from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

import yaml
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from contracts.envelope import CONTENT_TYPE

SERVICES = ("visits", "issues", "reporting", "notifier")
DOCS = Path(__file__).resolve().parents[3] / "docs" / "asyncapi"
# What the checked-in copies must not depend on: the variables of this shell that the documents show.
LOCAL = ("KAFKA_BOOTSTRAP_SERVERS", "CONSUMER_GROUP")


def document(broker: KafkaBroker, title: str, version: str) -> dict[str, Any]:
    spec = AsyncAPI(broker, title=title, version=version,
                    description=f"The Kafka topics the {title} service reads and writes, with their events.")
    doc = spec.to_specification().to_jsonable()
    doc["defaultContentType"] = CONTENT_TYPE  # every record is a CloudEvent in structured JSON
    # FastStream lists channels and components in an order that varies from run to run: sorted, the copy is stable.
    for named in (doc, doc.get("components", {})):
        for key in ("channels", "operations", "messages", "schemas"):
            if key in named:
                named[key] = dict(sorted(named[key].items()))
    return doc


def install(app: FastAPI, broker: KafkaBroker, title: str, version: str) -> None:
    """/asyncapi and /asyncapi.yaml, no token needed (like /openapi.json); built once, on the first request,
    when every subscriber and publisher is declared."""
    built: dict[str, Any] = {}

    def current() -> dict[str, Any]:
        if "doc" not in built:
            built["doc"] = document(broker, title, version)
        return built["doc"]

    app.state.asyncapi = current

    @app.get("/asyncapi", include_in_schema=False)
    async def asyncapi_json() -> JSONResponse:
        return JSONResponse(current())

    @app.get("/asyncapi.yaml", include_in_schema=False)
    async def asyncapi_yaml() -> Response:
        return Response(yaml.safe_dump(current(), allow_unicode=True, sort_keys=False), media_type="application/yaml")


def generated(service: str) -> dict[str, Any]:
    """The document of `service` as its app builds it with the default settings (neither started nor connected)."""
    saved = {name: os.environ.pop(name) for name in LOCAL if name in os.environ}
    try:
        app = importlib.import_module(f"{service}.app").create_app()
    finally:
        os.environ.update(saved)
    current: Callable[[], dict[str, Any]] = app.state.asyncapi
    return current()


def rendered(service: str) -> str:
    return json.dumps(generated(service), ensure_ascii=False, indent=2) + "\n"


def path_of(service: str) -> Path:
    return DOCS / f"{service}.json"


def main(argv: list[str]) -> int:
    DOCS.mkdir(parents=True, exist_ok=True)
    for service in argv or SERVICES:
        path_of(service).write_text(rendered(service), encoding="utf-8")
        print(f"wrote {path_of(service)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
