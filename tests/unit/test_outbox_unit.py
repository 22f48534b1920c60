"""outbox.entry(): what a write stores next to its state change, without any server."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from buildingblocks.outbox import entry, next_seq
from contracts.envelope import CONTENT_TYPE, CloudEvent, encode, headers_for, new_event
from contracts.events import IssueRaised, VisitLogged
from contracts.topics import ISSUES, VISITS

SAMPLES = Path(__file__).resolve().parents[2] / "contracts" / "samples"


def sample(payload_type):
    return payload_type.model_validate(json.loads((SAMPLES / f"{payload_type.event_type}.v1.json").read_text())["data"])


def test_an_entry_holds_the_exact_bytes_key_headers_and_topic():
    event = new_event(sample(VisitLogged), township="dacheng", source="/townships/dacheng/visits")
    e = entry(event, VISITS)
    assert set(e) == {"id", "topic", "key", "value", "headers", "seq"}
    assert e["id"] == event.id
    assert e["topic"] == VISITS
    assert e["key"] == "91330782MA2ABCD13A" == event.data.enterprise_id
    assert e["value"].encode("utf-8") == encode(event)
    assert e["headers"] == headers_for(event)
    assert e["headers"]["content-type"] == CONTENT_TYPE and e["headers"]["ce_id"] == event.id
    assert isinstance(e["seq"], int)


def test_an_entry_is_plain_data_a_database_can_store():
    e = entry(new_event(sample(IssueRaised), township="dacheng", source="/townships/dacheng/issues"), ISSUES)
    assert json.loads(json.dumps(e)) == e


def test_seq_is_strictly_increasing_and_near_the_clock():
    before = time.time_ns()
    seqs = [next_seq() for _ in range(10_000)]
    assert all(a < b for a, b in zip(seqs, seqs[1:]))
    assert before <= seqs[0] and seqs[-1] - time.time_ns() < 1_000_000_000


def test_seq_stays_unique_across_threads():
    out: list[int] = []

    def take():
        out.extend(next_seq() for _ in range(2_000))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(out)) == len(out) == 8_000


def test_entries_of_successive_events_are_in_seq_order():
    payload = sample(VisitLogged)
    seqs = [entry(new_event(payload, township="dacheng", source="/s"), VISITS)["seq"] for _ in range(100)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 100


def test_an_event_without_an_enterprise_is_keyed_by_its_subject_and_without_either_cannot_be_keyed():
    # A finding's events (no enterprise) by the issue_id, a unit's by the unit_id: each subject's events in order.
    event = CloudEvent[dict](
        specversion="1.0", id="e-1", type="Other", source="/s", subject="x", time="2026-03-02T10:30:00+08:00",
        datacontenttype="application/json", township="dacheng", data={"no": "enterprise"},
    )
    assert entry(event, VISITS)["key"] == "x"
    with pytest.raises(ValueError, match="enterprise_id"):
        entry(event.model_copy(update={"subject": ""}), VISITS)
