"""The three services as real processes: each answers /health (with its dependencies) and serves OpenAPI."""
from __future__ import annotations

import uuid

import httpx
import pytest

from tests.support.processes import ServiceProcess


@pytest.mark.parametrize("module", ["visits", "issues", "reporting"])
def test_each_service_starts_and_reports_healthy(stack, module):
    proc = ServiceProcess(module, {"MONGODB_DB": f"e2e_{uuid.uuid4().hex[:8]}", "CONSUMER_GROUP": f"e2e.{uuid.uuid4().hex}"})
    try:
        proc.start()
        health = httpx.get(f"{proc.url}/health").json()
        assert health["status"] == "ok"
        assert health["checks"] == {"mongo": "ok", "kafka": "ok"}
        spec = httpx.get(f"{proc.url}/openapi.json").json()
        assert spec["info"]["title"] == module
        assert "/health" in spec["paths"]
    finally:
        proc.stop()
