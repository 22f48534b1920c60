"""The CloudEvents envelope of CONTRACTS.md §1: parse (with a reason on failure), encode, new_event, headers."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from contracts import InvalidEvent, encode, headers_for, parse
from contracts.envelope import new_event
from contracts.events import PAYLOADS

SAMPLES = Path(__file__).resolve().parents[2] / "contracts" / "samples"
TYPES = sorted(PAYLOADS)
REQUIRED = ["specversion", "id", "type", "source", "subject", "time", "datacontenttype", "township", "data"]
CST = timedelta(hours=8)


def sample(event_type: str) -> dict:
    return json.loads((SAMPLES / f"{event_type}.v1.json").read_text(encoding="utf-8"))


def raw(body) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def rejected(value, reason: str) -> str:
    """Parse `value` (bytes, or a body to encode), expect InvalidEvent with `reason`; return its detail."""
    with pytest.raises(InvalidEvent) as info:
        parse(value if isinstance(value, (bytes, str)) else raw(value))
    assert info.value.reason == reason, info.value
    return info.value.detail


def visit(**data_changes) -> dict:
    body = sample("VisitLogged")
    body["data"].update(data_changes)
    return body


# --- Golden samples ---

@pytest.mark.parametrize("event_type", TYPES)
def test_sample_parses_to_its_payload_class(event_type):
    body = sample(event_type)
    event = parse(raw(body))
    assert type(event.data) is PAYLOADS[event_type]
    assert event.type == event_type
    assert event.subject == body["subject"] == event.data.subject()
    assert event.township == "dacheng"
    assert event.time == datetime(2026, 3, 2, 10, 30, tzinfo=timezone(CST))
    assert event.time.utcoffset() == CST


@pytest.mark.parametrize("event_type", TYPES)
def test_encode_parse_round_trips(event_type):
    text = (SAMPLES / f"{event_type}.v1.json").read_text(encoding="utf-8")
    assert json.loads(encode(parse(text.encode("utf-8")))) == json.loads(text)
    assert json.loads(encode(parse(text))) == json.loads(text)  # str works as well as bytes


def test_sample_subjects_are_the_contract_fields():
    assert sample("EnterpriseRegistered")["subject"] == sample("EnterpriseRegistered")["data"]["enterprise_id"]
    assert sample("VisitLogged")["subject"] == sample("VisitLogged")["data"]["visit_id"]
    assert sample("IssueRaised")["subject"] == sample("IssueRaised")["data"]["issue_id"]
    assert sample("IssueClosed")["subject"] == sample("IssueClosed")["data"]["issue_id"]
    assert sample("DemandReported")["subject"] == sample("DemandReported")["data"]["external_id"]


def test_parsed_values_are_typed():
    event = parse(raw(sample("VisitLogged")))
    assert event.data.visited_on.isoformat() == "2026-03-02"
    assert event.data.visitors[0].official_id == "c-li" and event.data.visitors[0].rank.value == "county"
    assert [s.value for s in event.data.services] == ["policy", "confidence"]
    assert [d.resolved_on_spot for d in event.data.demands] == [False, True]


# --- Tolerant reader ---

def test_unknown_envelope_attributes_are_ignored():
    body = sample("VisitLogged")
    body.update(traceparent="00-abc-def-01", partitionkey="x", comexampleextension1={"nested": [1, 2]})
    event = parse(raw(body))
    assert event.data.visit_id == "v-2026-0001"
    assert "traceparent" not in json.loads(encode(event))


def test_unknown_data_fields_are_ignored_at_every_level():
    body = sample("VisitLogged")
    body["data"]["weather"] = "sunny"
    body["data"]["visitors"][0]["phone"] = "123"
    body["data"]["demands"][0]["priority"] = 3
    event = parse(raw(body))
    assert json.loads(encode(event))["data"] == sample("VisitLogged")["data"]


@pytest.mark.parametrize(
    "event_type,field",
    [
        ("EnterpriseRegistered", "park"),
        ("IssueRaised", "visit_id"),
        ("IssueRaised", "responsible_unit"),
        ("IssueClosed", "satisfaction"),
    ],
)
def test_missing_or_null_nullable_field_reads_as_none(event_type, field):
    absent = sample(event_type)
    del absent["data"][field]
    assert getattr(parse(raw(absent)).data, field) is None
    null = sample(event_type)
    null["data"][field] = None
    assert getattr(parse(raw(null)).data, field) is None


def test_absent_or_null_dataschema_means_version_1():
    body = sample("VisitLogged")
    del body["dataschema"]
    event = parse(raw(body))
    assert event.dataschema is None
    assert "dataschema" not in json.loads(encode(event))
    body["dataschema"] = None
    assert parse(raw(body)).data.visit_id == "v-2026-0001"


def test_utc_time_is_accepted():
    body = sample("VisitLogged")
    body["time"] = "2026-03-02T02:30:00.123Z"
    assert parse(raw(body)).time == datetime(2026, 3, 2, 10, 30, 0, 123000, tzinfo=timezone(CST))


def test_utf8_bom_is_tolerated():
    assert parse(b"\xef\xbb\xbf" + raw(sample("VisitLogged"))).type == "VisitLogged"


# --- Rejections, each with its reason ---

@pytest.mark.parametrize(
    "value",
    [
        b"\x80\x81 not utf-8",
        b"{\"specversion\": \"1.0\"",
        b"",
        b"hello",
        json.dumps(sample("VisitLogged")).encode("utf-16"),  # JSON, but not UTF-8
        b"[" * 100_000,  # deeper than the decoder's recursion limit
        b'{"n": ' + b"1" * 5000 + b"}",  # longer than Python's int digit limit
    ],
    ids=["bad-utf8", "truncated", "empty", "text", "utf-16", "deep-nesting", "huge-int"],
)
def test_not_json(value):
    rejected(value, "not_json")


@pytest.mark.parametrize("value", [b"[]", b'[{"type": "VisitLogged"}]', b'"VisitLogged"', b"42", b"null"])
def test_not_an_object(value):
    rejected(value, "not_an_object")


@pytest.mark.parametrize("attribute", REQUIRED)
def test_missing_required_attribute_is_named(attribute):
    body = sample("VisitLogged")
    del body[attribute]
    detail = rejected(body, "invalid_envelope")
    assert detail.startswith(f"{attribute}:") and "required" in detail


@pytest.mark.parametrize(
    "attribute,value",
    [
        ("specversion", "0.3"),
        ("datacontenttype", "text/plain"),
        ("id", ""),
        ("id", 42),
        ("type", 5),
        ("data", [1, 2]),
        ("data", None),
    ],
)
def test_malformed_attribute_is_named(attribute, value):
    body = sample("VisitLogged")
    body[attribute] = value
    assert rejected(body, "invalid_envelope").startswith(f"{attribute}:")


@pytest.mark.parametrize(
    "value",
    [
        "2026-03-02T10:30:00",  # no offset
        "2026-03-02",
        "1700000000",
        1700000000,
        "yesterday",
    ],
)
def test_time_must_be_rfc3339_with_offset(value):
    body = sample("VisitLogged")
    body["time"] = value
    assert rejected(body, "invalid_envelope").startswith("time:")


@pytest.mark.parametrize("township", ["Dacheng", "-dacheng", "", "a" * 41, "da cheng", "da_cheng", "大成", "dacheng\n"])
def test_township_must_match_the_pattern(township):
    body = sample("VisitLogged")
    body["township"] = township
    assert rejected(body, "invalid_envelope").startswith("township:")


@pytest.mark.parametrize("township", ["a", "0", "a" * 40, "dacheng-2", "9x-"])
def test_township_pattern_accepts(township):
    body = sample("VisitLogged")
    body["township"] = township
    assert parse(raw(body)).township == township


def test_unknown_type():
    body = sample("VisitLogged")
    body["type"] = "VisitDeleted"
    body["dataschema"] = "urn:township-events:VisitDeleted:1"
    assert "VisitDeleted" in rejected(body, "unknown_type")


def test_an_oversized_message_is_refused_before_parsing_and_a_large_real_one_is_not():
    from contracts.envelope import MAX_EVENT_BYTES

    big = sample("VisitLogged")
    big["padding"] = "x" * MAX_EVENT_BYTES  # an unknown attribute: would otherwise be ignored
    assert f"at most {MAX_EVENT_BYTES}" in rejected(big, "too_large")
    assert "bytes" in rejected(b"[" * (MAX_EVENT_BYTES + 1), "too_large")
    heavy = visit(demands=[{"demand_id": f"d{n}", "category": "labour", "description": "缺" * 4000, "resolved_on_spot": False}
                           for n in range(10)], summary="走" * 20000)
    assert len(raw(heavy)) > 150_000
    assert len(parse(raw(heavy)).data.demands) == 10


def test_unsupported_major_version():
    body = sample("VisitLogged")
    body["dataschema"] = "urn:township-events:VisitLogged:2"
    assert "major version 2" in rejected(body, "unsupported_version")


@pytest.mark.parametrize(
    "dataschema",
    ["urn:township-events:IssueRaised:1", "https://example.org/VisitLogged.json", "urn:township-events:VisitLogged"],
)
def test_dataschema_naming_something_else_is_invalid(dataschema):
    body = sample("VisitLogged")
    body["dataschema"] = dataschema
    assert rejected(body, "invalid_envelope").startswith("dataschema:")


@pytest.mark.parametrize(
    "body,field,words",
    [
        (visit(enterprise_id="91350100M0001TGQXM"), "data.enterprise_id", "check character"),
        (visit(enterprise_id="91330782MA2ABCD1"), "data.enterprise_id", "18 characters"),
        (visit(visited_on=20260105), "data.visited_on", "YYYY-MM-DD"),
        (visit(visited_on="2026-1-5"), "data.visited_on", "YYYY-MM-DD"),
        (visit(visited_on="2026-01-05T00:00:00"), "data.visited_on", "YYYY-MM-DD"),
        (visit(visited_on="2026-02-30"), "data.visited_on", ""),
        (visit(visitors=[]), "data.visitors", ""),
        (visit(channel="fax"), "data.channel", ""),
        (visit(kind="party"), "data.kind", ""),
        (visit(services=["policy", "money"]), "data.services.1", ""),
        (visit(summary=None), "data.summary", ""),
        (visit(visit_id=None), "data.visit_id", ""),
    ],
)
def test_invalid_data_names_the_field(body, field, words):
    detail = rejected(body, "invalid_data")
    assert detail.startswith(f"{field}:"), detail
    assert words in detail


def test_invalid_nested_data_names_the_path():
    body = sample("VisitLogged")
    body["data"]["demands"][1]["resolved_on_spot"] = "true"
    body["data"]["visitors"][0]["rank"] = "mayor"
    detail = rejected(body, "invalid_data")
    assert "data.demands.1.resolved_on_spot:" in detail and "data.visitors.0.rank:" in detail


def test_missing_data_field_is_named():
    body = sample("VisitLogged")
    del body["data"]["visited_on"]
    assert rejected(body, "invalid_data").startswith("data.visited_on:")


@pytest.mark.parametrize("event_type", ["EnterpriseRegistered", "IssueClosed"])
def test_unknown_enum_value_in_other_types(event_type):
    body = sample(event_type)
    field = "category" if event_type == "EnterpriseRegistered" else "outcome"
    body["data"][field] = "unknown-value"
    assert rejected(body, "invalid_data").startswith(f"data.{field}:")


def test_name_is_limited_to_200_characters():
    body = sample("EnterpriseRegistered")
    body["data"]["name"] = "企" * 200
    assert parse(raw(body)).data.name == "企" * 200
    body["data"]["name"] = "企" * 201
    assert rejected(body, "invalid_data").startswith("data.name:")
    body["data"]["name"] = ""
    assert rejected(body, "invalid_data").startswith("data.name:")


def test_invalid_event_is_a_value_error_carrying_reason_and_detail():
    with pytest.raises(ValueError) as info:
        parse(b"[]")
    assert isinstance(info.value, InvalidEvent)
    assert str(info.value) == f"not_an_object: {info.value.detail}"


def test_lower_case_uscc_is_normalised():
    event = parse(raw(visit(enterprise_id="91330782ma2abcd13a")))
    assert event.data.enterprise_id == "91330782MA2ABCD13A"


# --- Building events ---

@pytest.mark.parametrize("event_type", TYPES)
def test_new_event(event_type):
    payload = PAYLOADS[event_type].model_validate(sample(event_type)["data"])
    before = datetime.now(timezone.utc)
    event = new_event(payload, township="dacheng", source="/townships/dacheng/test")
    assert event.specversion == "1.0" and event.datacontenttype == "application/json"
    assert event.type == event_type
    assert event.subject == payload.subject() == sample(event_type)["subject"]
    assert event.dataschema == f"urn:township-events:{event_type}:1"
    assert str(uuid.UUID(event.id)) == event.id
    assert event.time.utcoffset() == CST
    assert before <= event.time <= datetime.now(timezone.utc)
    again = parse(encode(event))
    assert again == event and type(again.data) is type(payload)


def test_new_event_ids_are_unique_and_overridable():
    payload = PAYLOADS["VisitLogged"].model_validate(sample("VisitLogged")["data"])
    assert new_event(payload, township="t", source="/s").id != new_event(payload, township="t", source="/s").id
    at = datetime(2026, 3, 2, 10, 30, tzinfo=timezone(CST))
    event = new_event(payload, township="t", source="/s", time=at, event_id="fixed-id")
    assert event.id == "fixed-id" and event.time == at
    assert json.loads(encode(event))["time"] == "2026-03-02T10:30:00+08:00"


def test_encode_is_utf8_without_escapes():
    data = encode(parse(raw(sample("EnterpriseRegistered"))))
    assert "三原县".encode("utf-8") in data


def test_headers_for():
    event = parse(raw(sample("IssueRaised")))
    headers = headers_for(event)
    assert headers["content-type"] == "application/cloudevents+json; charset=UTF-8"
    assert headers["ce_type"] == "IssueRaised" and headers["ce_id"] == event.id
    assert all(isinstance(v, str) for v in headers.values())



def test_a_blank_nullable_name_reads_as_none_and_a_long_description_is_accepted():
    body = json.loads((SAMPLES / "EnterpriseRegistered.v1.json").read_text())
    body["data"]["park"] = "  "
    assert parse(json.dumps(body).encode()).data.park is None
    raised = json.loads((SAMPLES / "IssueRaised.v1.json").read_text())
    raised["data"]["description"] = "厂区道路" * 3000
    assert len(parse(json.dumps(raised).encode()).data.description) == 12000
