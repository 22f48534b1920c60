"""Full run only (`make faults`): the county's production shape, three Kafka nodes (KRaft, each broker and
controller; topics with replication factor 3 and min.insync.replicas=2; the services' producers acks=all) under
two replicas of every service, with one node SIGKILLed mid-stream and restarted: nothing lost, nothing twice."""
from __future__ import annotations

import pytest

from tests.reliability import scenarios as s
from tests.reliability.system import System
from tests.reliability.test_faults import check, spread

pytestmark = pytest.mark.slow

if s.FULL:  # not part of `make test`'s quick subset: a second whole system of 3 Kafka nodes is too heavy for CI

    @pytest.fixture(scope="module")
    def cluster():
        system = System(cluster=True).start()
        yield system
        system.stop()

    def test_sigkill_of_one_kafka_broker_of_three_during_a_steady_stream(cluster, record):
        assert cluster.stack.under_replicated() == []  # every topic, __consumer_offsets too, on 3 in-sync replicas
        outcome = s.through_the_apis(cluster, "SIGKILL of one Kafka broker of three mid-stream", s.broker_kills(cluster), seed=3)
        assert outcome.runs == s.BROKER_KILLS
        check(outcome, record)
        spread(outcome)
