"""BatchConsumer with fakes: valid events reach the handler, the rest are dead-lettered, transient errors NACK."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiokafka.structs import ConsumerRecord
from faststream.exceptions import NackMessage
from pymongo.errors import AutoReconnect

from buildingblocks import consumer as consumer_module
from buildingblocks.consumer import BatchConsumer

SAMPLES = Path(__file__).resolve().parents[2] / "contracts" / "samples"


def record(value: bytes, offset: int) -> ConsumerRecord:
    return ConsumerRecord("visits.v1", 0, offset, 0, 0, b"k", value, None, 1, len(value), [("content-type", b"x")])


class FakeDeadLetters:
    def __init__(self):
        self.sent: list[tuple[int, str, str]] = []

    async def send(self, rec: ConsumerRecord, reason: str, detail: str) -> None:
        self.sent.append((rec.offset, reason, detail))


def visit_sample() -> bytes:
    return (SAMPLES / "VisitLogged.v1.json").read_bytes()


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    slept = []

    async def fake_sleep(s):
        slept.append(s)

    monkeypatch.setattr(consumer_module.asyncio, "sleep", fake_sleep)
    return slept


async def test_valid_events_go_to_the_handler_and_bad_ones_to_the_dead_letters():
    seen = []

    async def handle(batch):
        seen.extend(r.record.offset for r in batch)

    dlq = FakeDeadLetters()
    consume = BatchConsumer(handle, dlq)
    await consume([record(visit_sample(), 0), record(b"{oops", 1), record(json.dumps([1]).encode(), 2)])
    assert seen == [0]
    assert [(o, r) for o, r, _ in dlq.sent] == [(1, "not_json"), (2, "not_an_object")]
    assert consume.stats == {"batches": 1, "records": 3, "dead_letters": 2, "retries": 0}


async def test_a_transient_failure_backs_off_and_nacks_the_batch(no_sleep):
    async def handle(batch):
        raise AutoReconnect("mongo went away")

    dlq = FakeDeadLetters()
    consume = BatchConsumer(handle, dlq, max_backoff_s=1.0)
    for _ in range(4):
        with pytest.raises(NackMessage):
            await consume([record(visit_sample(), 0), record(b"{oops", 1)])
    assert no_sleep == [0.4, 0.8, 1.0, 1.0]  # capped exponential backoff
    assert dlq.sent == []  # nothing is dead-lettered on a retry the batch will get again
    assert consume.stats["retries"] == 4 and consume.stats["records"] == 0


async def test_a_handler_bug_dead_letters_only_the_event_that_triggers_it():
    sample = json.loads(visit_sample())
    poison = dict(sample, id="poison")

    async def handle(batch):
        if any(r.event.id == "poison" for r in batch):
            raise KeyError("cannot project this one")

    dlq = FakeDeadLetters()
    consume = BatchConsumer(handle, dlq)
    await consume([record(visit_sample(), 0), record(json.dumps(poison).encode(), 1)])
    assert [(o, r) for o, r, _ in dlq.sent] == [(1, "handler_error")]
    assert "KeyError" in dlq.sent[0][2]


async def test_a_single_record_from_a_non_batch_subscriber_is_accepted():
    seen = []

    async def handle(batch):
        seen.extend(batch)

    await BatchConsumer(handle, FakeDeadLetters())(record(visit_sample(), 5))
    assert len(seen) == 1 and seen[0].event.type == "VisitLogged"
