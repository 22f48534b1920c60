"""`python -m buildingblocks.dlq` on the real broker: list, export, fix / drop / leave broken, replay, replay again.

visits.v1.dlq is shared with the other tests on the stack: every step starts at the DLQ's end offset noted
first (`--from-offset`) and looks only at our own dead letters (by offset, and our keys are random).
"""
from __future__ import annotations

import asyncio
import json
import random
import re
from datetime import date, datetime, timezone

from aiokafka import AIOKafkaProducer

from contracts import parse
from contracts.envelope import InvalidEvent
from tests.support import events, kafka
from tests.support.kafka import dlq_command, read_from

TOPIC, DLQ = "visits.v1", "visits.v1.dlq"


def dead_letter_headers(value: bytes, original_offset: int) -> list[tuple[str, bytes]]:
    """What DeadLetters.send writes: the original headers plus the dlq-* ones, the reason from contracts.parse."""
    try:
        parse(value)
        raise AssertionError("meant to be a bad message")
    except InvalidEvent as exc:
        reason, detail = exc.reason, exc.detail
    return [
        ("content-type", b"application/cloudevents+json; charset=UTF-8"),
        ("dlq-reason", reason.encode()),
        ("dlq-detail", detail.encode()),
        ("dlq-original-topic", TOPIC.encode()),
        ("dlq-original-partition", b"2"),
        ("dlq-original-offset", str(original_offset).encode()),
        ("dlq-consumer-group", b"reporting.projections.v1"),
        ("dlq-time", datetime.now(timezone.utc).isoformat().encode()),
    ]


async def dead_letter(bootstrap: str, messages: list[tuple[bytes, bytes]]) -> list[int]:
    """Each (key, bad value) to visits.v1.dlq as DeadLetters.send does; their DLQ offsets."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        offsets = []
        for n, (key, value) in enumerate(messages):
            sent = await producer.send_and_wait(DLQ, value, key=key, headers=dead_letter_headers(value, 1000 + n))
            offsets.append(sent.offset)
        return offsets
    finally:
        await producer.stop()


def listed(stdout: str) -> dict[int, str]:
    return {int(m[1]): line for line in stdout.splitlines() if (m := re.match(r"visits\.v1\.dlq@(\d+)\s", line))}


def visit(township: str, enterprise: str, visited_on: str) -> bytes:
    body = events.visit_logged(township, enterprise, f"v-{township}-{enterprise[-4:]}", date(2026, 3, 2))
    body["data"]["visited_on"] = visited_on
    return events.encode(body)


def test_export_fix_drop_and_replay_then_replaying_again_reinjects_nothing(kafka_bootstrap, township, tmp_path):
    rng = random.Random()
    keys = [events.uscc(rng).encode() for _ in range(3)]
    bad = [
        visit(township, keys[0].decode(), "March 2"),  # wrong field type: to fix
        b"\xff{not json at all " + township.encode(),  # not even UTF-8: to drop
        visit(township, keys[2].decode(), "2026-02-30"),  # fixable, but left broken
    ]
    start = asyncio.run(kafka.end_offset(kafka_bootstrap, DLQ))
    offsets = asyncio.run(dead_letter(kafka_bootstrap, list(zip(keys, bad))))
    assert all(o >= start for o in offsets)

    # list: our three, pending
    shown = dlq_command(kafka_bootstrap, "list", TOPIC, "--from-offset", str(start))
    assert shown.returncode == 0, shown.stderr
    ours = {o: text for o, text in listed(shown.stdout).items() if o in offsets}
    assert sorted(ours) == offsets
    assert "visits.v1[2]@1000  invalid_data  data.visited_on:" in ours[offsets[0]]
    assert f"key={keys[0].decode()}" in ours[offsets[0]] and f"{len(bad[0])} B" in ours[offsets[0]]
    assert "not_json" in ours[offsets[1]]
    assert re.search(r"\d+ pending dead letters$", shown.stdout.strip())

    # export
    exported = tmp_path / "dead.jsonl"
    done = dlq_command(kafka_bootstrap, "export", "--out", str(exported), TOPIC, "--from-offset", str(start))
    assert done.returncode == 0, done.stderr
    lines = {d["offset"]: d for d in map(json.loads, exported.read_text(encoding="utf-8").splitlines()) if d["offset"] in offsets}
    fix, drop, broken = (lines[o] for o in offsets)
    assert fix["value"] == bad[0].decode() and fix["value_base64"] is None and fix["key"] == keys[0].decode()
    assert (fix["dlq"], fix["topic"], fix["partition"], fix["original_offset"]) == (DLQ, TOPIC, 2, 1000)
    assert fix["reason"] == "invalid_data" and "visited_on" in fix["detail"]
    assert fix["headers"] == {"content-type": "application/cloudevents+json; charset=UTF-8"}
    assert drop["value"] is None and drop["value_base64"] and drop["reason"] == "not_json"
    assert all(d["action"] == "replay" for d in (fix, drop, broken))

    # the clerk's edit: fix the first, drop the second, leave the third as it is
    fix["value"] = fix["value"].replace('"March 2"', '"2026-03-02"')
    drop.update(action="drop", note="a test message, nothing to recover")
    edited = tmp_path / "fixed.jsonl"
    edited.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in (fix, drop, broken)), encoding="utf-8")

    dry = dlq_command(kafka_bootstrap, "replay", str(edited), "--dry-run")
    assert dry.returncode == 1, dry.stderr
    assert "dry run, nothing published or marked: replayed 1, dropped 1, skipped 0, refused 1" in dry.stdout
    assert sorted(o for o in listed(dlq_command(kafka_bootstrap, "list", TOPIC, "--from-offset", str(start)).stdout) if o in offsets) == offsets

    first = dlq_command(kafka_bootstrap, "replay", str(edited), "--by", "test-clerk")
    assert first.returncode == 1, first.stdout + first.stderr  # one line refused
    assert "replayed 1, dropped 1, skipped 0, refused 1" in first.stdout
    refused = next(text for text in first.stdout.splitlines() if text.startswith("line 3:"))
    assert f"{DLQ}@{offsets[2]}: refused, invalid_data: data.visited_on:" in refused and "left pending" in refused
    m = re.search(rf"line 1: {re.escape(DLQ)}@{offsets[0]}: replayed to visits\.v1\[(\d+)\]@(\d+)", first.stdout)
    assert m, first.stdout
    partition, at = int(m[1]), int(m[2])

    # the fixed message is on visits.v1 with the original key and headers plus where it came from, and parses
    (replayed,) = [r for r in asyncio.run(read_from(kafka_bootstrap, TOPIC, partition, at)) if r.key == keys[0]]
    assert replayed.offset == at
    headers = dict((k, v.decode()) for k, v in replayed.headers)
    assert headers == {"content-type": "application/cloudevents+json; charset=UTF-8", "dlq-replayed-from": f"{DLQ}@{offsets[0]}"}
    event = parse(replayed.value)
    assert event.data.visited_on == date(2026, 3, 2) and event.township == township

    # the DLQ holds the audit trail: one marker each for the replayed and the dropped one, none for the broken one
    markers = [json.loads(r.value) for r in asyncio.run(read_from(kafka_bootstrap, DLQ, 0, start))
               if (b"dlq-marker", b"handled") in [(k.encode(), v) for k, v in r.headers]]
    ours_marked = {m["handled_offset"]: m for m in markers if m["handled_offset"] in offsets}
    assert set(ours_marked) == {offsets[0], offsets[1]}
    assert ours_marked[offsets[0]]["action"] == "replayed" and ours_marked[offsets[0]]["by"] == "test-clerk"
    assert ours_marked[offsets[1]]["action"] == "dropped"
    assert ours_marked[offsets[1]]["note"] == "a test message, nothing to recover"

    # list: only the broken one is pending; --all shows the other two, marked
    pending = dlq_command(kafka_bootstrap, "list", TOPIC, "--from-offset", str(start))
    assert [o for o in listed(pending.stdout) if o in offsets] == [offsets[2]]
    every = listed(dlq_command(kafka_bootstrap, "list", TOPIC, "--from-offset", str(start), "--all").stdout)
    assert "[handled: replayed by test-clerk" in every[offsets[0]]
    assert "[handled: dropped by test-clerk" in every[offsets[1]]
    assert "[handled" not in every[offsets[2]]
    assert not any(o in offsets for o in listed(dlq_command(kafka_bootstrap, "list", "--from-offset", str(start)).stdout)
                   if o != offsets[2])

    # the same file again: nothing re-injected, nothing marked twice, the broken one refused again
    again = dlq_command(kafka_bootstrap, "replay", str(edited), "--by", "test-clerk")
    assert again.returncode == 1, again.stdout + again.stderr
    assert "replayed 0, dropped 0, skipped 2, refused 1" in again.stdout
    assert f"line 1: {DLQ}@{offsets[0]}: skipped, already handled (replayed by test-clerk" in again.stdout
    assert [r.offset for r in asyncio.run(read_from(kafka_bootstrap, TOPIC, partition, at)) if r.key == keys[0]] == [at]
    markers_after = [r for r in asyncio.run(read_from(kafka_bootstrap, DLQ, 0, start)) if any(k == "dlq-marker" for k, _ in r.headers)]
    assert sum(json.loads(r.value)["handled_offset"] in offsets for r in markers_after) == 2


def test_a_line_naming_no_dead_letter_publishes_nothing(kafka_bootstrap, township, tmp_path):
    key = events.uscc(random.Random()).encode()
    value = visit(township, key.decode(), "March 2")
    start = asyncio.run(kafka.end_offset(kafka_bootstrap, DLQ))
    (offset,) = asyncio.run(dead_letter(kafka_bootstrap, [(key, value)]))
    good = {"dlq": DLQ, "offset": offset, "action": "replay", "value": value.decode().replace("March 2", "2026-03-02")}
    missing = {"dlq": DLQ, "offset": 10**9, "action": "drop"}
    path = tmp_path / "fix.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(missing) + "\n", encoding="utf-8")

    done = dlq_command(kafka_bootstrap, "replay", str(path))
    assert done.returncode == 2
    assert f"line 2: offset: no dead letter at {DLQ}@{10**9}; nothing published" in done.stderr
    assert offset in listed(dlq_command(kafka_bootstrap, "list", TOPIC, "--from-offset", str(start)).stdout)  # still pending


def test_force_replays_a_value_the_contract_refuses_as_it_is(kafka_bootstrap, township, tmp_path):
    key = events.uscc(random.Random()).encode()
    value = visit(township, key.decode(), "2026-02-30")
    (offset,) = asyncio.run(dead_letter(kafka_bootstrap, [(key, value)]))
    path = tmp_path / "fix.jsonl"
    path.write_text(json.dumps({"dlq": DLQ, "offset": offset, "action": "replay", "value": value.decode()}) + "\n")

    done = dlq_command(kafka_bootstrap, "replay", str(path), "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "replayed 1, dropped 0, skipped 0, refused 0" in done.stdout
    m = re.search(r"replayed to visits\.v1\[(\d+)\]@(\d+) \(forced past invalid_data: data\.visited_on", done.stdout)
    assert m, done.stdout
    (record,) = [r for r in asyncio.run(read_from(kafka_bootstrap, TOPIC, int(m[1]), int(m[2]))) if r.key == key]
    assert record.value == value
