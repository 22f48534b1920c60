"""Checked-in JSON Schemas: in step with the models, valid for the samples, and naming exactly CONTRACTS.md's fields."""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from contracts import parse, schema
from contracts.envelope import to_json
from contracts.events import PAYLOADS

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "contracts" / "schemas"
SAMPLES = ROOT / "contracts" / "samples"

# CONTRACTS.md §1, "Payloads (`data`)", written out by hand.
CONTRACT_FIELDS = {
    "EnterpriseRegistered": {"enterprise_id", "name", "category", "registered_on", "park", "assigned_officials"},
    "VisitLogged": {
        "visit_id", "enterprise_id", "visited_on", "channel", "kind", "visitors", "services", "summary", "demands",
    },
    "IssueRaised": {
        "issue_id", "enterprise_id", "source", "visit_id", "category", "description", "responsible_unit",
        "raised_on", "deadline",
    },
    "IssueClosed": {
        "issue_id", "enterprise_id", "category", "raised_on", "deadline", "closed_on", "outcome", "resolution",
        "satisfaction",
    },
    "DemandReported": {"external_id", "enterprise_id", "category", "description", "reported_on", "source"},
}
OFFICIAL_FIELDS = {"official_id", "name", "rank"}
DEMAND_FIELDS = {"demand_id", "category", "description", "resolved_on_spot"}
NULLABLE = {
    "EnterpriseRegistered": {"park"},
    "VisitLogged": set(),
    "IssueRaised": {"visit_id", "responsible_unit"},
    "IssueClosed": {"satisfaction"},
    "DemandReported": set(),
}
ENVELOPE_REQUIRED = {"specversion", "id", "type", "source", "subject", "time", "datacontenttype", "township", "data"}
# CONTRACTS.md §1, "Enumerations" (the schema's $defs name them after the Python enums).
ENUMS = {
    "EnterpriseCategory": {"industry", "construction", "trade", "services", "real_estate", "project", "other"},
    "Rank": {"county", "township", "cadre", "other"},
    "Channel": {"in_person", "phone", "remote"},
    "VisitKind": {"routine", "visit_day", "walkthrough", "joint"},
    "Service": {"policy", "warmth", "vitality", "confidence"},
    "IssueCategory": {"labour", "financing", "land", "approval", "market", "infrastructure", "policy", "other"},
    "IssueSource": {"visit", "hotline", "platform", "leader", "other"},
    "Outcome": {"resolved", "explained", "not_in_scope", "duplicate"},
    "Satisfaction": {"very_satisfied", "satisfied", "basically_satisfied", "dissatisfied"},
}
TYPES = sorted(CONTRACT_FIELDS)


def checked_in(event_type: str) -> dict:
    return json.loads((SCHEMAS / f"{event_type}.v1.schema.json").read_text(encoding="utf-8"))


def sample(event_type: str) -> dict:
    return json.loads((SAMPLES / f"{event_type}.v1.json").read_text(encoding="utf-8"))


def validator(event_type: str) -> jsonschema.protocols.Validator:
    document = checked_in(event_type)
    cls = jsonschema.validators.validator_for(document, default=jsonschema.Draft202012Validator)
    cls.check_schema(document)
    return cls(document, format_checker=cls.FORMAT_CHECKER)


# Issue events added beyond v1 ("more may follow"), with their fields as the README documents them.
ADDED_FIELDS = {  # the events beyond v1, field for field as the README's event table names them
    "IssueAssigned": {"issue_id", "enterprise_id", "responsible_unit", "previous_unit", "assigned_on", "reason", "unit_id", "previous_unit_id"},
    "IssueReopened": {"issue_id", "enterprise_id", "category", "reopened_on", "reason", "deadline"},
    "IssueDeadlineChanged": {"issue_id", "enterprise_id", "deadline", "previous_deadline", "deadline_provisional", "changed_on", "reason"},
    "IssueEscalated": {"issue_id", "enterprise_id", "level", "previous_level", "on", "deadline", "overdue_working_days", "responsible_unit", "unit_id"},
    "IssueAcknowledged": {"issue_id", "enterprise_id", "unit_id", "responsible_unit", "assigned_on", "acknowledged_on", "working_days_to_acknowledge", "on_time"},
    "IssueReturned": {"issue_id", "enterprise_id", "unit_id", "responsible_unit", "returned_on", "reason", "suggested_unit_id"},
    "IssueCoHandlingSet": {"issue_id", "enterprise_id", "lead_unit_id", "co_unit_ids", "set_on"},
    "IssueProgressNoted": {"issue_id", "enterprise_id", "unit_id", "noted_on", "note", "part_done"},
    "IssueExtensionRequested": {"issue_id", "enterprise_id", "request_id", "unit_id", "deadline", "requested_deadline", "requested_on", "reason"},
    "IssueExtensionDecided": {"issue_id", "enterprise_id", "request_id", "approved", "decided_on", "deadline", "reason"},
    "IssueFollowedUp": {"issue_id", "enterprise_id", "followed_up_on", "satisfaction", "note", "unit_id"},
    "FindingRaised": {"issue_id", "found_by", "subject_kind", "subject_name", "subject_unit_id", "category", "description", "responsible_unit", "unit_id", "visit_id", "raised_on", "deadline", "deadline_provisional"},
    "FindingClosed": {"issue_id", "subject_name", "category", "raised_on", "deadline", "closed_on", "outcome", "resolution", "unit_id", "working_days_to_close"},
    "UnitRegistered": {"unit_id", "name", "kind", "parent_id", "head", "active"},
    "VisitPlanned": {"plan_id", "enterprise_id", "planned_on", "lead", "invited", "purpose", "campaign_id"},
    "VisitPlanJoined": {"plan_id", "enterprise_id", "official"},
    "VisitPlanCancelled": {"plan_id", "enterprise_id", "cancelled_on", "reason"},
    "CampaignAnnounced": {"campaign_id", "name", "days", "enterprise_ids", "invited"},
    "CampaignInvitationAnswered": {"campaign_id", "official_id", "accepted", "reason"},
    "AssignmentStarted": {"enterprise_id", "official", "started_on"},
    "AssignmentEnded": {"enterprise_id", "official_id", "ended_on", "reason"},
    "EvidenceAttached": {"evidence_id", "enterprise_id", "owner", "owner_id", "name", "content_type", "size", "sha256"},
    "IssueEvidenceAttached": {"evidence_id", "enterprise_id", "owner", "owner_id", "name", "content_type", "size", "sha256"},
    "EnterpriseChanged": {"enterprise_id", "name", "park", "status", "status_on", "changed_on"},
    "TownshipRegistered": {"township_id", "name", "county"},
}


def test_the_payloads_are_the_five_contract_types_and_the_documented_additions():
    assert set(PAYLOADS) == set(CONTRACT_FIELDS) | set(ADDED_FIELDS)


@pytest.mark.parametrize("event_type", sorted(ADDED_FIELDS))
def test_added_types_have_their_documented_fields_and_a_golden_sample(event_type):
    assert set(checked_in(event_type)["$defs"][event_type]["properties"]) == ADDED_FIELDS[event_type]
    validator(event_type).validate(sample(event_type))


@pytest.mark.parametrize("event_type", sorted(PAYLOADS))
def test_checked_in_schema_matches_the_models(event_type):
    path = SCHEMAS / f"{event_type}.v1.schema.json"
    assert path == schema.path_of(event_type)
    assert path.read_text(encoding="utf-8") == schema.rendered(event_type), (
        f"{path.name} is out of date with the models: run `python -m contracts.schema` and review the diff"
    )


def test_one_schema_file_per_type():
    assert sorted(p.name for p in SCHEMAS.glob("*.json")) == sorted(f"{t}.v1.schema.json" for t in PAYLOADS)


@pytest.mark.parametrize("event_type", TYPES)
def test_schema_identity(event_type):
    document = checked_in(event_type)
    assert document["$id"] == f"urn:township-events:{event_type}:1"
    assert document["properties"]["type"]["const"] == event_type
    assert set(document["required"]) == ENVELOPE_REQUIRED


@pytest.mark.parametrize("event_type", TYPES)
def test_sample_validates_against_its_schema(event_type):
    errors = list(validator(event_type).iter_errors(sample(event_type)))
    assert errors == [], [e.message for e in errors]


@pytest.mark.parametrize("event_type", TYPES)
@pytest.mark.parametrize("garbage", ["garbage", 42, None, [], {"garbage": True}])
def test_garbage_data_fails_the_schema(event_type, garbage):
    body = sample(event_type)
    body["data"] = garbage
    assert not validator(event_type).is_valid(body)


@pytest.mark.parametrize("event_type", TYPES)
def test_sample_of_another_type_fails_the_schema(event_type):
    other = TYPES[(TYPES.index(event_type) + 1) % len(TYPES)]
    assert not validator(event_type).is_valid(sample(other))


@pytest.mark.parametrize(
    "change",
    [
        {"township": "Dacheng"},
        {"specversion": "0.3"},
        {"datacontenttype": "text/plain"},
    ],
)
def test_bad_envelope_fails_the_schema(change):
    body = sample("VisitLogged")
    body.update(change)
    assert not validator("VisitLogged").is_valid(body)


def test_bad_data_values_fail_the_schema():
    v = validator("VisitLogged")
    for change in ({"visitors": []}, {"channel": "fax"}, {"visited_on": "2026-1-5"}, {"enterprise_id": "91330782MA2ABCD1IA"}):
        body = sample("VisitLogged")
        body["data"].update(change)
        assert not v.is_valid(body), change


@pytest.mark.parametrize("event_type", TYPES)
def test_data_fields_are_exactly_the_contract_fields(event_type):
    schema = checked_in(event_type)["$defs"][event_type]
    extensions = set(PAYLOADS[event_type].extensions)  # optional additions beyond v1, documented on the model
    assert set(schema["properties"]) == CONTRACT_FIELDS[event_type] | extensions
    assert not extensions & set(schema.get("required", []))


def test_an_absent_extension_is_left_out_of_the_published_data():
    sample = parse((SAMPLES / "VisitLogged.v1.json").read_bytes())
    assert set(to_json(sample)["data"]) == CONTRACT_FIELDS["VisitLogged"]
    overridden = sample.model_copy(update={"data": sample.data.model_copy(update={"override_reason": "企业求助"})})
    assert to_json(overridden)["data"]["override_reason"] == "企业求助"


def test_official_and_demand_fields():
    defs = checked_in("VisitLogged")["$defs"]
    assert set(defs["Official"]["properties"]) == OFFICIAL_FIELDS
    assert set(defs["Demand"]["properties"]) == DEMAND_FIELDS
    assert set(checked_in("EnterpriseRegistered")["$defs"]["Official"]["properties"]) == OFFICIAL_FIELDS


@pytest.mark.parametrize("event_type", TYPES)
def test_nullable_fields_are_optional_and_allow_null(event_type):
    document = checked_in(event_type)
    data = document["$defs"][event_type]
    for field in NULLABLE[event_type]:
        assert field not in data["required"]
        assert {"type": "null"} in data["properties"][field]["anyOf"], field
    for field in CONTRACT_FIELDS[event_type] - NULLABLE[event_type]:
        assert "anyOf" not in data["properties"][field], f"{field} is not nullable in CONTRACTS.md"


def test_enumerations_are_the_contract_values():
    seen = {}
    for event_type in TYPES:
        for name, definition in checked_in(event_type)["$defs"].items():
            if "enum" in definition:
                seen[name] = set(definition["enum"])
    assert seen == ENUMS


def test_uscc_pattern_is_the_31_symbol_alphabet():
    pattern = checked_in("VisitLogged")["$defs"]["VisitLogged"]["properties"]["enterprise_id"]["pattern"]
    for code in ("91110000600037341L", "121200004013590816", "91330782MA2ABCD13A", "Y1330782MA2ABCD13A"):
        assert re.search(pattern, code), code
    for letter in "IOZSV":
        assert not re.search(pattern, "91330782M" + letter + "2ABCD13A"), letter
    assert not re.search(pattern, "91A30782MA2ABCD13A")  # positions 3-8 are digits
    assert not re.search(pattern, "91330782ma2abcd13a")  # the wire form is upper case
