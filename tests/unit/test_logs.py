"""Logs as JSON lines: the fields of every line, and what the HTTP middleware and the batch consumer bind."""
from __future__ import annotations

import io
import json
import logging
import logging.config
from pathlib import Path

import httpx
import pytest
from aiokafka.structs import ConsumerRecord
from fastapi import FastAPI

from buildingblocks import logs, metrics
from buildingblocks.consumer import BatchConsumer

SAMPLES = Path(__file__).resolve().parents[2] / "contracts" / "samples"


@pytest.fixture
def lines():
    """Configure logging as the runner does, into a buffer; the JSON objects logged."""
    buffer = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logs.JsonFormatter("visits"))
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


def test_a_line_is_one_json_object_with_time_level_service_logger_and_message(lines):
    logging.getLogger("visits.handlers").warning("访问 %s refused", "v-1")
    try:
        raise ValueError("bad")
    except ValueError:
        logging.getLogger("x").exception("failed")
    first, second = lines()
    assert set(first) == {"time", "level", "service", "logger", "message"}
    assert first["level"] == "warning" and first["service"] == "visits" and first["logger"] == "visits.handlers"
    assert first["message"] == "访问 v-1 refused" and first["time"].endswith("+00:00")
    assert second["level"] == "error" and "ValueError: bad" in second["exception"]


def test_bound_fields_join_every_line_until_the_block_ends(lines):
    log = logging.getLogger("t")
    with logs.bound(request_id="r-1", township="dacheng", nothing=None):
        log.info("inside")
        with logs.bound(event_id="e-1"):
            log.info("deeper")
    log.info("outside", extra={"count": 3})
    inside, deeper, outside = lines()
    assert (inside["request_id"], inside["township"]) == ("r-1", "dacheng") and "nothing" not in inside
    assert deeper["event_id"] == "e-1" and deeper["request_id"] == "r-1"
    assert "request_id" not in outside and outside["count"] == 3


async def test_the_http_middleware_binds_the_request_id_and_the_township_of_the_path(lines):
    app = FastAPI()

    @app.get("/api/v1/townships/{township}/things")
    async def things(township: str):
        logging.getLogger("handler").info("listing")
        return []

    @app.get("/api/v1/reports/{scope}/{period}")
    async def report(scope: str, period: str):
        logging.getLogger("handler").info("reporting")
        return {}

    metrics.install(app, metrics.Metrics("visits"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        r = await client.get("/api/v1/townships/dacheng/things", headers={"X-Request-ID": "abc-123"})
        await client.get("/api/v1/reports/county/2026-Q1")
    listing, reporting = [line for line in lines() if line["logger"] == "handler"]
    assert (listing["request_id"], listing["township"]) == ("abc-123", "dacheng") == (r.headers["x-request-id"], "dacheng")
    assert "township" not in reporting and len(reporting["request_id"]) == 32  # the county is no township


def test_uvicorns_access_line_has_its_parts_as_fields(lines):
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/health", "1.1", 200)
    (line,) = lines()
    assert line["message"] == '127.0.0.1:5000 - "GET /health HTTP/1.1" 200'
    assert (line["method"], line["path"], line["status"], line["client"]) == ("GET", "/health", 200, "127.0.0.1:5000")


async def test_the_consumer_binds_the_batch_and_the_event(lines):
    seen = []

    async def handle(batch):
        seen.append(logs.context())
        logging.getLogger("reporting").info("projecting")

    class Dead:
        group = "g"

        async def send(self, *args):
            logging.getLogger("dlq").info("sent")

    value = (SAMPLES / "VisitLogged.v1.json").read_bytes()
    event = json.loads(value)
    records = [ConsumerRecord("visits.v1", 2, o, 0, 0, b"k", v, None, 1, len(v), []) for o, v in [(7, value), (8, b"{")]]
    await BatchConsumer(handle, Dead(), topic="visits.v1")(records)
    projecting = next(line for line in lines() if line["message"] == "projecting")
    assert projecting["topic"] == "visits.v1" and projecting["partition"] == 2 and projecting["offsets"] == "7-8"
    assert projecting["event_id"] == event["id"] and projecting["township"] == event["township"]
    dead = next(line for line in lines() if line["logger"] == "consumer")
    assert dead["offset"] == 8 and dead["level"] == "warning"
    assert logs.context() == {}  # nothing left bound after the batch


def test_the_runner_configuration_sends_uvicorns_loggers_through_the_json_formatter(capsys):
    cfg = logs.config("issues", "debug", "json")
    assert cfg["loggers"]["uvicorn.access"] == {"level": "DEBUG", "handlers": [], "propagate": True}
    logging.config.dictConfig(cfg)
    try:
        logging.getLogger("uvicorn.error").info("Started server process")
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
        assert (line["service"], line["logger"], line["message"]) == ("issues", "uvicorn.error", "Started server process")
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False, "root": {"handlers": []}})


def test_text_format_keeps_the_fields_at_the_end():
    record = logging.LogRecord("visits", logging.INFO, __file__, 1, "stored %d", (3,), None)
    with logs.bound(request_id="r-9"):
        text = logs.TextFormatter("visits").format(record)
    assert text.endswith("INFO visits: stored 3 request_id=r-9")


def test_a_request_id_must_look_like_one():
    assert logs.request_id("0af7651916cd43dd8448eb211c80319c") == "0af7651916cd43dd8448eb211c80319c"
    for bad in ("", None, "has space", "x" * 129, 'quote"'):
        assert len(logs.request_id(bad)) == 32
