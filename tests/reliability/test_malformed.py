"""Malformed input from outside, on every topic the services read: each bad message lands once in the topic's
DLQ per consumer group, with its reason and original bytes, and the good message behind it is still taken."""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path

import httpx
import pytest

from contracts.envelope import MAX_EVENT_BYTES
from contracts.topics import INTAKE, ISSUES, VISITS, dlq_topic
from tests.reliability.system import GROUPS
from tests.reliability.verdict import Outcome, VIEWER, issues_of, report
from tests.support import kafka

pytestmark = pytest.mark.slow
SAMPLES = Path(__file__).resolve().parents[2] / "contracts" / "samples"
ENTERPRISE = "91330782MA2ABCD13A"  # the samples' enterprise
GOOD = {VISITS: "VisitLogged", ISSUES: "IssueRaised", INTAKE: "DemandReported"}


def sample(event_type: str, township: str) -> dict:
    body = json.loads((SAMPLES / f"{event_type}.v1.json").read_text(encoding="utf-8"))
    body.update(id=str(uuid.uuid4()), township=township)
    return body


def malformed(event_type: str, township: str, tag: str) -> dict[str, tuple[bytes, str]]:
    """name → (value, the reason the DLQ must give). `tag` is in every value, to find them among others'."""
    def with_(change) -> bytes:
        body = sample(event_type, township)
        body["tag"] = tag  # an unknown attribute: ignored by readers
        change(body)
        return json.dumps(body, ensure_ascii=False).encode()

    first_field = next(iter(sample(event_type, township)["data"]))
    return {
        "not JSON": (b"\xff\xfe not json " + tag.encode(), "not_json"),
        "missing attributes": (with_(lambda b: [b.pop("id"), b.pop("time")]), "invalid_envelope"),
        "unknown type": (with_(lambda b: b.update(type="VisitCancelled", dataschema=None)), "unknown_type"),
        "unknown major version": (with_(lambda b: b.update(dataschema=f"urn:township-events:{event_type}:2")), "unsupported_version"),
        "wrong field types": (with_(lambda b: b["data"].update({first_field: 20260302, "enterprise_id": ["x"]})), "invalid_data"),
        "oversized": (with_(lambda b: b.update(padding="x" * (MAX_EVENT_BYTES + 1))), "too_large"),
    }


def dead_letters(bootstrap: str, topic: str, tag: str) -> list[tuple[str, str]]:
    """(consumer group, reason) of each dead letter of `topic` carrying `tag`."""
    out = []
    for r in asyncio.run(kafka.read_all(bootstrap, dlq_topic(topic), timeout_s=30)):
        if tag.encode() in (r.value or b""):
            headers = {k: v.decode() for k, v in r.headers}
            out.append((headers["dlq-consumer-group"], headers["dlq-reason"]))
    return out


def test_malformed_messages_are_dead_lettered_with_their_reason_and_nothing_stops(system, record):
    township = f"f-{uuid.uuid4().hex[:10]}"
    tag = uuid.uuid4().hex
    bad = {topic: malformed(GOOD[topic], township, tag) for topic in GOOD}
    for topic, cases in bad.items():  # bad ones first, then a good one on the same key (so the same partition)
        good = sample(GOOD[topic], township)
        messages = [(ENTERPRISE.encode(), value) for value, _ in cases.values()]
        messages.append((ENTERPRISE.encode(), json.dumps(good, ensure_ascii=False).encode()))
        asyncio.run(kafka.produce(system.stack.bootstrap, topic, messages))

    readers = {topic: sorted(g for g, topics in GROUPS.items() if topic in topics) for topic in bad}
    want = {topic: sorted((g, reason) for g in readers[topic] for _, reason in cases.values()) for topic, cases in bad.items()}
    deadline = time.monotonic() + 120
    while (got := {t: sorted(dead_letters(system.stack.bootstrap, t, tag)) for t in bad}) != want and time.monotonic() < deadline:
        time.sleep(1)
    assert got == want  # each bad message once per group that reads the topic, with the reason of its kind

    # Nothing stopped: the good messages behind the bad ones were taken by both services (every replica answers).
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        months = [report(url, township, "2026-03") or {} for url in system.urls("reporting")]
        issues = [issues_of(url, township) for url in system.urls("issues")]
        if all(m.get("visits") == 1 and m.get("issues_raised", 0) >= 1 for m in months) and all(len(i) == 2 for i in issues):
            break
        time.sleep(1)
    assert [m.get("visits") for m in months] == [1] * len(months), months
    assert [len(i) for i in issues] == [2] * len(issues), issues  # the VisitLogged sample's open demand + the DemandReported
    for url in system.urls("reporting"):
        assert httpx.get(f"{url}/health", headers=VIEWER, timeout=10).status_code == 200

    sent = sum(len(c) for c in bad.values())
    landed = sum(len(v) for v in got.values())
    expected_landings = sum(len(want[t]) for t in want)
    record(Outcome("malformed input from outside → DLQ", sent, sent + len(bad),
                   lost=expected_landings - min(landed, expected_landings), double=max(0, landed - expected_landings),
                   replicas=len(system.urls("reporting"))), "make faults")
