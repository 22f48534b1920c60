"""Topic names, their partitions and retention, which types travel where, and the Kafka key rule."""
from __future__ import annotations

VISITS = "visits.v1"
ISSUES = "issues.v1"
INTAKE = "intake.v1"

PARTITIONS = 6
# Projections are rebuilt from the topics, so events are kept forever.
EVENT_TOPIC_CONFIG = {"retention.ms": "-1"}

TYPES_BY_TOPIC: dict[str, tuple[str, ...]] = {
    VISITS: ("EnterpriseRegistered", "VisitLogged", "VisitPlanned", "VisitPlanJoined", "VisitPlanCancelled",
             "CampaignAnnounced", "CampaignInvitationAnswered", "AssignmentStarted", "AssignmentEnded", "EvidenceAttached",
             "EnterpriseChanged", "TownshipRegistered"),
    ISSUES: ("IssueRaised", "IssueClosed", "IssueAssigned", "IssueReopened", "IssueDeadlineChanged", "IssueEscalated",
             "IssueAcknowledged", "IssueReturned", "IssueCoHandlingSet", "IssueProgressNoted",
             "IssueExtensionRequested", "IssueExtensionDecided", "IssueFollowedUp", "FindingRaised", "FindingClosed",
             "UnitRegistered", "IssueEvidenceAttached"),
    INTAKE: ("DemandReported",),
}
TOPIC_OF_TYPE = {t: topic for topic, types in TYPES_BY_TOPIC.items() for t in types}


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


def all_topics() -> list[str]:
    return [*TYPES_BY_TOPIC, *(dlq_topic(t) for t in TYPES_BY_TOPIC)]


def key_for(enterprise_id: str) -> bytes:
    """Every event is keyed by the enterprise it concerns, so one enterprise's events stay in order; an event that
    concerns no enterprise (a finding's, a unit's) by its subject: the issue_id, the unit_id."""
    return enterprise_id.encode("utf-8")
