"""The three services as real processes, each with a database and consumer group of its own, one set per module."""
from __future__ import annotations

import pytest

from tests.support.processes import ServiceProcess, own_state


def _started(proc: ServiceProcess):
    try:
        proc.start()
    except BaseException:
        proc.stop()
        raise
    return proc


@pytest.fixture(scope="module")
def visits_service(stack):
    proc = _started(own_state("visits"))
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def issues_service(stack):
    # No escalation sweep during the module: a level changing by itself would look like a write.
    proc = _started(own_state("issues", SWEEP_INTERVAL_S="3600"))
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def reporting_service(stack):
    proc = _started(own_state("reporting"))
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def services(visits_service, issues_service, reporting_service) -> dict[str, ServiceProcess]:
    return {"visits": visits_service, "issues": issues_service, "reporting": reporting_service}
