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
    told = sample("VisitLogged").data.demands
    assert [d["description"] for d in doc["demand_list"]] == [d.description for d in told]
    assert doc["demands_on_spot"] == sum(d.resolved_on_spot for d in told)


def test_a_registration_is_a_fact_of_its_own_so_two_registrations_even_on_one_day_both_count():
    event = sample("EnterpriseRegistered")
    [(collection, doc)] = facts_for(event)
    assert collection == ENTERPRISES
    assert doc["_id"] == f"dacheng:91330782MA2ABCD13A:2026-01-05:{event.id}"
    assert doc["registered_on"] == "2026-01-05"
    again = event.model_copy(update={"id": "another-registration"})
    assert facts_for(again)[0][1]["_id"] != doc["_id"]


def test_the_same_event_twice_gives_the_same_fact():
    assert facts_for(sample("VisitLogged")) == facts_for(sample("VisitLogged"))


def test_each_issue_event_is_a_fact_of_its_own_so_several_closes_are_all_kept():
    [(collection, raised)] = facts_for(sample("IssueRaised"))
    assert collection == "issues_raised" and raised["deadline"] == "2026-03-16" and raised["category"] == "labour"
    [(collection, closed)] = facts_for(sample("IssueClosed"))
    assert collection == "issue_closures" and closed["closed_on"] == "2026-03-12"
    assert closed["_id"].endswith(sample("IssueClosed").id)
    assert closed["time"] == "2026-03-02T02:30:00+00:00"  # UTC, so times compare as text
    [(collection, assigned)] = facts_for(sample("IssueAssigned"))
    assert collection == "issue_assignments" and assigned["responsible_unit"] == "县人社局"
    assert facts_for(sample("DemandReported")) == [] and facts_for(sample("IssueEscalated")) == []


def test_the_units_events_are_facts_and_the_others_of_issues_v1_are_accepted_and_add_none():
    [(collection, ack)] = facts_for(sample("IssueAcknowledged"))
    assert collection == "issue_acknowledgements" and (ack["unit_id"], ack["working_days"], ack["on_time"]) == ("c-rsj", 1, True)
    [(collection, returned)] = facts_for(sample("IssueReturned"))
    assert collection == "issue_returns" and returned["returned_on"] == "2026-03-05"
    [(collection, asked)] = facts_for(sample("IssueFollowedUp"))
    assert collection == "issue_follow_ups" and asked["satisfaction"] == "satisfied"
    [(collection, finding)] = facts_for(sample("FindingRaised"))
    assert collection == "findings_raised" and finding["enterprise_id"] is None and finding["unit_id"] == "c-xzspj"
    [(collection, closure)] = facts_for(sample("FindingClosed"))
    assert collection == "finding_closures" and closure["outcome"] == "resolved"
    [(collection, unit)] = facts_for(sample("UnitRegistered"))
    assert collection == "units" and (unit["unit_id"], unit["name"]) == ("dacheng-rss", "大程镇人社所")
    [(_, closed)] = facts_for(sample("IssueClosed"))
    assert closed["outcome"] == "resolved" and closed["working_days"] is None  # the sample is a v1 close
    for name in ("IssueCoHandlingSet", "IssueProgressNoted", "IssueExtensionRequested", "IssueExtensionDecided"):
        assert facts_for(sample(name)) == []


def test_an_issue_keeps_what_the_ledger_files_its_demand_and_its_resolution():
    [(_, raised)] = facts_for(sample("IssueRaised"))
    assert raised["description"] == sample("IssueRaised").data.description and raised["source"]
    [(_, closed)] = facts_for(sample("IssueClosed"))
    assert closed["resolution"] == sample("IssueClosed").data.resolution
