"""Faults survived, as figures: every scenario ends with every report equal to the reference computed from
the events sent, and nothing lost or counted twice. Quick subset by default; `make faults` is the full run."""
from __future__ import annotations

import pytest

from tests.reliability import scenarios as s
from tests.reliability.system import REPLICAS

pytestmark = pytest.mark.slow
FULL = "make faults"


def check(outcome, record):
    record(outcome, FULL)
    assert outcome.replicas == REPLICAS, outcome
    assert (outcome.lost, outcome.double) == (0, 0), outcome
    assert not outcome.mismatches, "\n".join(outcome.mismatches[:20])


def spread(outcome) -> None:
    """Through the APIs the clients' requests went to every replica of the services they call."""
    for service in ("visits", "issues"):
        answered = [k for k in outcome.served if k.startswith(f"{service} ")]
        assert len(answered) == REPLICAS, (service, outcome.served)


@pytest.mark.parametrize("service", ["visits", "issues", "reporting"])
def test_sigkill_of_a_service_during_a_steady_stream(system, record, service):
    outcome = s.through_the_apis(system, f"SIGKILL {service} during a steady stream", s.kills(system, service), seed=len(service))
    assert outcome.runs == s.KILLS
    check(outcome, record)
    spread(outcome)


@pytest.mark.parametrize("server", ["kafka", "store"] if s.FULL else ["kafka"])  # quick: the store's SIGKILL below
def test_a_server_restarted_mid_stream(system, record, server):
    outcome = s.through_the_apis(system, f"{server} restarted mid-stream", s.restarts(system, server), seed=len(server))
    assert outcome.runs == s.RESTARTS
    check(outcome, record)
    spread(outcome)


def test_sigkill_of_the_store_mid_stream(system, record):
    """kill -9 of the store's own process: every write it acknowledged (every 2xx the clients got) is in the reports
    after it comes back on the same H2 file, nothing twice."""
    outcome = s.through_the_apis(system, "SIGKILL of the store mid-stream", s.store_kills(system), seed=9)
    assert outcome.runs == s.STORE_KILLS
    check(outcome, record)
    spread(outcome)


@pytest.mark.parametrize("round_", range(s.ROUNDS))
def test_every_event_twice_and_out_of_order_across_topics(system, record, round_):
    check(s.duplicated_and_disordered(system, seed=100 + round_), record)
