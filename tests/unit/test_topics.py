"""Topics of CONTRACTS.md §1: names, partitions, retention, dead-letter topics, keys, which type goes where."""
from __future__ import annotations

import contracts
from contracts import topics
from contracts.events import PAYLOADS

# CONTRACTS.md §1, "Topics", written out by hand.
CONTRACT_TOPICS = {
    "visits.v1": {"EnterpriseRegistered", "VisitLogged", "VisitPlanned", "VisitPlanJoined", "VisitPlanCancelled",
                  "CampaignAnnounced", "CampaignInvitationAnswered", "AssignmentStarted", "AssignmentEnded", "EvidenceAttached",
                  "EnterpriseChanged", "TownshipRegistered"},
    # IssueRaised and IssueClosed are v1; the rest are the documented additions ("more may follow").
    "issues.v1": {"IssueRaised", "IssueClosed", "IssueAssigned", "IssueReopened", "IssueDeadlineChanged", "IssueEscalated",
                  "IssueAcknowledged", "IssueReturned", "IssueCoHandlingSet", "IssueProgressNoted",
                  "IssueExtensionRequested", "IssueExtensionDecided", "IssueFollowedUp", "FindingRaised",
                  "FindingClosed", "UnitRegistered", "IssueEvidenceAttached"},
    "intake.v1": {"DemandReported"},
}


def test_topic_names():
    assert topics.VISITS == contracts.VISITS == "visits.v1"
    assert topics.ISSUES == contracts.ISSUES == "issues.v1"
    assert topics.INTAKE == contracts.INTAKE == "intake.v1"


def test_partitions_and_retention():
    assert topics.PARTITIONS == 6
    # Events are kept forever: projections are rebuilt from them.
    assert topics.EVENT_TOPIC_CONFIG == {"retention.ms": "-1"}


def test_dead_letter_topics():
    assert contracts.dlq_topic("visits.v1") == "visits.v1.dlq"
    assert topics.dlq_topic("issues.v1") == "issues.v1.dlq"
    assert topics.dlq_topic("intake.v1") == "intake.v1.dlq"


def test_all_topics_are_the_three_and_their_dead_letters():
    assert sorted(topics.all_topics()) == sorted([*CONTRACT_TOPICS, *(f"{t}.dlq" for t in CONTRACT_TOPICS)])
    assert len(topics.all_topics()) == len(set(topics.all_topics())) == 6


def test_key_is_the_enterprise_id_in_utf8():
    key = contracts.key_for("91330782MA2ABCD13A")
    assert key == b"91330782MA2ABCD13A" and isinstance(key, bytes)
    assert topics.key_for("企业-1") == "企业-1".encode("utf-8")


def test_types_by_topic_is_the_contract():
    assert {topic: set(types) for topic, types in topics.TYPES_BY_TOPIC.items()} == CONTRACT_TOPICS


def test_every_payload_type_has_exactly_one_topic():
    for event_type in PAYLOADS:
        homes = [topic for topic, types in topics.TYPES_BY_TOPIC.items() if event_type in types]
        assert len(homes) == 1, (event_type, homes)
        assert topics.TOPIC_OF_TYPE[event_type] == homes[0]
    assert set(topics.TOPIC_OF_TYPE) == set(PAYLOADS)
    assert topics.TOPIC_OF_TYPE["DemandReported"] == topics.INTAKE


def test_a_cluster_gets_its_replication_from_the_environment(monkeypatch):
    from buildingblocks.topics import wanted

    assert {(t.replication_factor, t.topic_configs.get("min.insync.replicas")) for t in wanted()} == {(1, None)}
    monkeypatch.setenv("TOPIC_REPLICATION_FACTOR", "3")
    monkeypatch.setenv("TOPIC_MIN_INSYNC_REPLICAS", "2")
    assert {(t.replication_factor, t.topic_configs["min.insync.replicas"]) for t in wanted()} == {(3, "2")}


def test_a_comma_separated_bootstrap_list_is_several_servers():
    from buildingblocks.kafka import servers

    assert servers("a:1, b:2,,c:3 ") == ["a:1", "b:2", "c:3"] and servers("127.0.0.1:9092") == ["127.0.0.1:9092"]
