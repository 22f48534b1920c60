"""The pure parts of the dead-letter replay command: export lines, replay-file checks, markers, pending entries."""
from __future__ import annotations

import base64
import json
from datetime import date, datetime, timezone

import pytest

from buildingblocks import dlq
from buildingblocks.dlq import BadLine, Record
from contracts import parse
from tests.support import events

KEY = b"91330782MA2ABCD13A"


def dead_letter(offset: int, value: bytes, reason: str = "invalid_data", detail: str = "data.visited_on: bad",
                key: bytes | None = KEY) -> Record:
    headers = (
        ("content-type", b"application/cloudevents+json; charset=UTF-8"),
        ("ce_id", b"e-1"),
        ("dlq-reason", reason.encode()),
        ("dlq-detail", detail.encode()),
        ("dlq-original-topic", b"visits.v1"),
        ("dlq-original-partition", b"3"),
        ("dlq-original-offset", b"4711"),
        ("dlq-consumer-group", b"reporting.projections.v1"),
        ("dlq-time", b"2026-03-02T02:30:00+00:00"),
    )
    return Record("visits.v1.dlq", offset, key, value, headers)


def marker(offset: int, handled: int, action: str = "replayed") -> Record:
    return Record("visits.v1.dlq", offset, None, dlq.marker_value(handled, action, "tester"), tuple(dlq.marker_headers()))


def visit(visited_on: str = "2026-03-02") -> bytes:
    body = events.visit_logged("t-unit", KEY.decode(), "v-1", date(2026, 3, 2))
    body["id"], body["data"]["visited_on"] = "e-1", visited_on
    return events.encode(body)


def line(**fields) -> str:
    base = {"dlq": "visits.v1.dlq", "offset": 12, "action": "replay", "value": visit().decode(), "value_base64": None}
    return json.dumps({k: v for k, v in {**base, **fields}.items() if v is not ...})


# ---- record → export line


def test_export_line_keeps_everything_needed_to_judge_and_fix_it():
    value = visit("March 2")
    out = dlq.export_line(dead_letter(12, value))
    assert out == {
        "dlq": "visits.v1.dlq", "offset": 12, "topic": "visits.v1", "partition": 3, "original_offset": 4711,
        "key": KEY.decode(),
        "headers": {"content-type": "application/cloudevents+json; charset=UTF-8", "ce_id": "e-1"},  # no dlq-*
        "reason": "invalid_data", "detail": "data.visited_on: bad", "consumer_group": "reporting.projections.v1",
        "value": value.decode(), "value_base64": None, "action": "replay",
    }
    json.dumps(out)  # one JSON line


def test_a_value_that_is_not_utf8_is_exported_as_base64_and_replays_byte_for_byte():
    raw = b"\xff{not json at all \x00\xfe"
    out = dlq.export_line(dead_letter(7, raw, reason="not_json", key=None))
    assert out["value"] is None and out["key"] is None
    assert base64.b64decode(out["value_base64"]) == raw
    parsed = dlq.parse_line(1, json.dumps({**out, "action": "replay"}))
    assert parsed.value == raw


def test_a_utf8_value_round_trips_exactly_through_the_file():
    value = visit().replace(b'"summary": ""', '"summary": "企业反映用工难"'.encode())
    exported = json.dumps(dlq.export_line(dead_letter(3, value)), ensure_ascii=False)
    assert dlq.parse_line(1, exported).value == value


def test_list_line_names_dlq_origin_reason_key_size_and_time_and_shortens_the_detail():
    text = dlq.list_line(dlq.Entry(dead_letter(12, b"x" * 321, detail="data.visited_on: " + "very long " * 40)))
    assert text.startswith("visits.v1.dlq@12  visits.v1[3]@4711  invalid_data  data.visited_on: very long")
    assert "…" in text and "very long " * 20 not in text
    assert f"key={KEY.decode()}" in text and "321 B" in text and "2026-03-02T02:30:00+00:00" in text
    handled = dlq.Entry(dead_letter(12, b"x"), {"action": "dropped", "by": "li", "at": "2026-03-03T00:00:00+00:00"})
    assert dlq.list_line(handled).endswith("[handled: dropped by li at 2026-03-03T00:00:00+00:00]")


# ---- which entries are pending


def test_markers_are_not_dead_letters_and_hide_the_ones_they_mark():
    records = [dead_letter(10, b"a"), dead_letter(11, b"b"), marker(12, 10), dead_letter(13, b"c"), marker(14, 13, "dropped")]
    assert [e.record.offset for e in dlq.entries(records)] == [11]
    every = dlq.entries(records, include_handled=True)
    assert [(e.record.offset, e.handled and e.handled["action"]) for e in every] == [(10, "replayed"), (11, None), (13, "dropped")]
    assert every[0].handled["by"] == "tester"


def test_a_marker_that_cannot_be_read_marks_nothing_and_the_first_marker_wins():
    broken = Record("visits.v1.dlq", 12, None, b"not json", tuple(dlq.marker_headers()))
    assert [e.record.offset for e in dlq.entries([dead_letter(10, b"a"), broken])] == [10]
    twice = dlq.entries([dead_letter(10, b"a"), marker(11, 10, "dropped"), marker(12, 10, "replayed")], include_handled=True)
    assert twice[0].handled["action"] == "dropped"


def test_marker_value_is_the_audit_record():
    at = datetime(2026, 3, 3, 8, 0, tzinfo=timezone.utc)
    body = json.loads(dlq.marker_value(12, "replayed", "王科员", "fixed the date", at))
    assert body == {"handled_offset": 12, "action": "replayed", "by": "王科员", "at": "2026-03-03T08:00:00+00:00",
                    "note": "fixed the date"}


def test_replay_headers_are_the_originals_plus_where_it_came_from():
    headers = dlq.replay_headers(dead_letter(12, b"x"))
    assert headers == [("content-type", b"application/cloudevents+json; charset=UTF-8"), ("ce_id", b"e-1"),
                       ("dlq-replayed-from", b"visits.v1.dlq@12")]


def test_dlq_names_default_to_every_topic_of_the_contract():
    assert dlq.dlq_names([]) == ["visits.v1.dlq", "issues.v1.dlq", "intake.v1.dlq"]
    assert dlq.dlq_names(["visits.v1", "issues.v1.dlq"]) == ["visits.v1.dlq", "issues.v1.dlq"]


# ---- replay-file lines


def test_a_good_file_gives_replay_and_drop_lines():
    text = "\n".join([line(), "", line(offset=13, action="drop", note="a test message", value=None)]) + "\n"
    replay, drop = dlq.parse_file(text)
    assert (replay.line, replay.action, replay.value) == (1, "replay", visit())
    parse(replay.value)
    assert (drop.line, drop.offset, drop.action, drop.value, drop.note) == (3, 13, "drop", None, "a test message")


@pytest.mark.parametrize(
    "text, field, why",
    [
        ("{not json", "(line)", "not JSON"),
        ("[1, 2]", "(line)", "not an object"),
        (line(dlq=...), "dlq", "missing"),
        (line(offset=...), "offset", "missing"),
        (line(action=...), "action", "missing"),
        (line(action="fix"), "action", "'fix' is not one of replay, drop"),
        (line(offset="12"), "offset", "not an offset"),
        (line(offset=-1), "offset", "not an offset"),
        (line(offset=True), "offset", "not an offset"),
        (line(dlq="visits.v1"), "dlq", "not a dead-letter topic"),
        (line(value=..., value_base64=...), "value", "missing"),
        (line(value=None), "value", "missing"),
        (line(value={"specversion": "1.0"}), "value", "must be text"),
        (line(value_base64="AAAA"), "value", "both value and value_base64"),
        (line(value=None, value_base64="!!not base64"), "value_base64", "not base64"),
        (line(note=3), "note", "must be text"),
    ],
)
def test_a_bad_line_names_its_line_and_field(text, field, why):
    with pytest.raises(BadLine) as caught:
        dlq.parse_file(line() + "\n\n" + text + "\n")
    assert (caught.value.line, caught.value.field) == (3, field)
    assert why in caught.value.why
    assert str(caught.value).startswith(f"line 3: {field}: ")


def test_a_drop_line_needs_no_value():
    (drop,) = dlq.parse_file(line(action="drop", value=..., value_base64=...))
    assert drop.action == "drop" and drop.value is None


def test_the_same_dead_letter_twice_in_a_file_is_a_bad_line():
    with pytest.raises(BadLine, match=r"line 2: offset: visits.v1.dlq@12 is also on line 1"):
        dlq.parse_file(line() + "\n" + line(action="drop") + "\n")


def test_check_says_why_a_value_would_be_dead_lettered_again():
    assert dlq.check(visit()) is None
    problem = dlq.check(visit("March 2"))
    assert problem.reason == "invalid_data" and "data.visited_on" in problem.detail
    assert dlq.check(b"\xff{").reason == "not_json"


def test_main_rejects_a_bad_file_before_touching_kafka(tmp_path, capsys):
    path = tmp_path / "fix.jsonl"
    path.write_text(line() + "\n" + line(offset=13, action="replay please") + "\n", encoding="utf-8")
    assert dlq.main(["--bootstrap", "127.0.0.1:1", "replay", str(path)]) == 2
    err = capsys.readouterr().err
    assert "line 2: action: 'replay please' is not one of replay, drop" in err and "nothing published" in err
