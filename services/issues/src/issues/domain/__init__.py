"""The issues domain, pure (no storage, no I/O, no clock): the issue and its lifecycle, the working-day calendar,
the township's rules, supervision levels and the board, and the ids that make intake idempotent."""
from issues.domain.ids import issue_id_for_demand, issue_id_for_report, issue_id_for_request
from issues.domain.issue import (
    ACKNOWLEDGED, CLOSED, EARLIEST, EXPLICIT, FINDING, ISSUE, LATEST, OPEN, RETURNED, ROUTED, SLA, UNROUTED, Change,
    Issue, Unit, sla_deadline,
)
from issues.domain.refusals import InvalidValue, Refused, Unknown, WrongStatus
from issues.domain.supervision import level_on, supervision_board

__all__ = [
    "ACKNOWLEDGED", "FINDING", "ISSUE", "RETURNED", "ROUTED", "UNROUTED", "Unit", "Unknown",
    "CLOSED", "EARLIEST", "EXPLICIT", "LATEST", "OPEN", "SLA", "Change", "InvalidValue", "Issue", "Refused",
    "WrongStatus", "issue_id_for_demand", "issue_id_for_report", "issue_id_for_request", "level_on", "sla_deadline",
    "supervision_board",
]
