"""The public event contract (CONTRACTS.md §1): the only code services share about each other."""
from contracts.envelope import CloudEvent, InvalidEvent, encode, headers_for, parse
from contracts.events import (
    DemandReported,
    EnterpriseRegistered,
    IssueClosed,
    IssueRaised,
    VisitLogged,
)
from contracts.topics import ISSUES, INTAKE, VISITS, dlq_topic, key_for

__all__ = [
    "CloudEvent", "InvalidEvent", "encode", "headers_for", "parse",
    "DemandReported", "EnterpriseRegistered", "IssueClosed", "IssueRaised", "VisitLogged",
    "ISSUES", "INTAKE", "VISITS", "dlq_topic", "key_for",
]
