"""The three services as real processes: each answers /health (with its dependencies) and serves OpenAPI."""
from __future__ import annotations


import httpx
import pytest

from tests.support.processes import own_state


@pytest.mark.parametrize("module", ["visits", "issues", "reporting"])
def test_each_service_starts_and_reports_healthy(stack, module):
    proc = own_state(module)
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
