"""python -m demo against the three services as real processes: a full quarter, loaded twice, counted once."""
from __future__ import annotations

import uuid

import httpx
import pytest

from demo.__main__ import parse, run
from tests.support.processes import ServiceProcess

ADMIN = {"Authorization": "Bearer dev-county-admin"}


@pytest.fixture
def services(stack):
    suffix = uuid.uuid4().hex[:8]
    procs = {}
    try:
        for module in ("visits", "issues", "reporting"):
            env = {"MONGODB_DB": f"demo_{module}_{suffix}", "CONSUMER_GROUP": f"{module}.demo.{suffix}"}
            procs[module] = ServiceProcess(module, env).start()
        yield procs
    finally:
        for p in procs.values():
            p.stop()


def counts(services, township: str) -> dict[str, int]:
    def n(module: str, path: str) -> int:
        r = httpx.get(f"{services[module].url}/api/v1/townships/{township}{path}", headers=ADMIN, timeout=30)
        assert r.status_code == 200, r.text
        return len(r.json())

    return {"enterprises": n("visits", "/enterprises"), "visits": n("visits", "/visits"),
            "officials": n("visits", "/officials"), "issues": n("issues", "/issues")}


@pytest.mark.slow
def test_the_demo_loads_a_quarter_through_the_apis_and_a_second_run_adds_nothing(services, township):
    args = parse(["--visits", services["visits"].url, "--issues", services["issues"].url,
                  "--reporting", services["reporting"].url, "--township", township, "--timeout", "180"])
    first = run(args, say=lambda _: None)
    after_first = counts(services, township)

    assert after_first["enterprises"] == first["enterprises"] == 27
    assert after_first["officials"] == first["officials"] == 17
    assert after_first["visits"] == first["visits"] > 27
    assert first["closed"] > 0 and first["reopened"] == 1
    q1 = first["report"]
    assert q1["enterprises_registered"] == 27 and q1["enterprises_visited"] == 27
    assert q1["coverage_rate"] == 1.0
    assert q1["visits"] == first["visits"]
    assert q1["issues_raised"] == after_first["issues"] > 0
    assert 0 < q1["issues_closed"] < q1["issues_raised"]  # some are left open
    assert q1["issues_closed_on_time"] < q1["issues_closed"]  # some were closed late

    second = run(args, say=lambda _: None)
    assert {k: second[k] for k in ("officials", "enterprises", "visits", "assigned", "closed", "reopened")} == dict.fromkeys(
        ("officials", "enterprises", "visits", "assigned", "closed", "reopened"), 0)
    assert counts(services, township) == after_first
    assert {k: second["report"][k] for k in q1 if k != "by_category"} == {k: q1[k] for k in q1 if k != "by_category"}
