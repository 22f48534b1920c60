"""Faults survived, as figures: every scenario ends with every report equal to the reference computed from
the events sent, and nothing lost or counted twice. Quick subset by default; `make faults` is the full run."""
from __future__ import annotations

import pytest

from tests.reliability import scenarios as s

pytestmark = pytest.mark.slow
FULL = "make faults"


def check(outcome, record):
    record(outcome, FULL)
    assert (outcome.lost, outcome.double) == (0, 0), outcome
    assert not outcome.mismatches, "\n".join(outcome.mismatches[:20])


@pytest.mark.parametrize("service", ["visits", "issues", "reporting"])
def test_sigkill_of_a_service_during_a_steady_stream(system, record, service):
    outcome = s.through_the_apis(system, f"SIGKILL {service} during a steady stream", s.kills(system, service), seed=len(service))
    assert outcome.runs == s.KILLS
    check(outcome, record)


@pytest.mark.parametrize("server", ["kafka", "store"])
def test_a_server_restarted_mid_stream(system, record, server):
    outcome = s.through_the_apis(system, f"{server} restarted mid-stream", s.restarts(system, server), seed=len(server))
    assert outcome.runs == s.RESTARTS
    check(outcome, record)


@pytest.mark.parametrize("round_", range(s.ROUNDS))
def test_every_event_twice_and_out_of_order_across_topics(system, record, round_):
    check(s.duplicated_and_disordered(system, seed=100 + round_), record)
