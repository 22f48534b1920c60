"""The reporting facts: natural keys within the township, dates as YYYY-MM-DD, nothing for unrelated events."""
from __future__ import annotations

from pathlib import Path

from contracts import parse
from reporting.facts import ENTERPRISES, VISITS, facts_for

SAMPLES = Path(__file__).resolve().parents[2] / "contracts" / "samples"


def sample(name: str):
    return parse((SAMPLES / f"{name}.v1.json").read_bytes())


def test_a_visit_is_one_fact_keyed_by_township_and_visit_id():
    [(collection, doc)] = facts_for(sample("VisitLogged"))
    assert collection == VISITS
    assert doc["_id"] == "dacheng:v-2026-0001"
    assert doc["visited_on"] == "2026-03-02"
    assert doc["channel"] == "in_person" and doc["kind"] == "joint"
    assert [v["rank"] for v in doc["visitors"]] == ["county", "township"]
    assert doc["demands"] == 2


def test_a_registration_is_keyed_by_its_date_so_two_registrations_both_count():
    [(collection, doc)] = facts_for(sample("EnterpriseRegistered"))
    assert collection == ENTERPRISES
    assert doc["_id"] == "dacheng:91330782MA2ABCD13A:2026-01-05"
    assert doc["registered_on"] == "2026-01-05"


def test_the_same_event_twice_gives_the_same_fact():
    assert facts_for(sample("VisitLogged")) == facts_for(sample("VisitLogged"))


def test_issue_events_add_no_visit_facts_yet():
    assert facts_for(sample("IssueRaised")) == []
