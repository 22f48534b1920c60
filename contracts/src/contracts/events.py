"""Payloads (`data`) of the v1 event types, field for field as CONTRACTS.md §1 names them.

Readers are tolerant: unknown fields are ignored, and nullable fields may be absent.
"""
from __future__ import annotations

from typing import ClassVar, Optional

from pydantic import BaseModel, ConfigDict, Field, model_serializer

from contracts.enums import (
    Channel,
    EnterpriseCategory,
    IssueCategory,
    IssueSource,
    Level,
    Outcome,
    Rank,
    Satisfaction,
    Service,
    VisitKind,
)
from contracts.types import USCC, Flag, Id, LocalDate, Name, OptionalName, Text


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    # The CloudEvents `type` and which payload field is the event's `subject`.
    event_type: ClassVar[str]
    subject_field: ClassVar[str]
    # Optional fields added beyond contract v1: left out of `data` when absent, so v1 readers see v1 exactly.
    extensions: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _omit_absent_extensions(self, handler):
        data = handler(self)
        for name in self.extensions:
            if data.get(name) is None:
                data.pop(name, None)
        return data

    def subject(self) -> str:
        return getattr(self, self.subject_field)


class Official(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    official_id: Id
    name: Name
    rank: Rank


class Demand(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    demand_id: Id
    category: IssueCategory
    description: Text
    resolved_on_spot: Flag = False


class EnterpriseRegistered(Payload):
    event_type: ClassVar[str] = "EnterpriseRegistered"
    subject_field: ClassVar[str] = "enterprise_id"
    enterprise_id: USCC
    name: Name
    category: EnterpriseCategory
    registered_on: LocalDate
    park: OptionalName = None
    assigned_officials: list[Official] = Field(default_factory=list)


class VisitLogged(Payload):
    event_type: ClassVar[str] = "VisitLogged"
    subject_field: ClassVar[str] = "visit_id"
    extensions: ClassVar[tuple[str, ...]] = ("override_reason",)
    visit_id: Id
    enterprise_id: USCC
    visited_on: LocalDate
    channel: Channel
    kind: VisitKind
    visitors: list[Official] = Field(min_length=1, description="the first is the lead")
    services: list[Service] = Field(default_factory=list)
    summary: Text = ""
    demands: list[Demand] = Field(default_factory=list)
    # Beyond contract v1 (additive, optional): why the disturbance guard was overridden, if it was.
    override_reason: Optional[Text] = None


class IssueRaised(Payload):
    event_type: ClassVar[str] = "IssueRaised"
    subject_field: ClassVar[str] = "issue_id"
    issue_id: Id
    enterprise_id: USCC
    source: IssueSource
    visit_id: Optional[Id] = None
    category: IssueCategory
    description: Text
    responsible_unit: OptionalName = None
    raised_on: LocalDate
    deadline: LocalDate
    # Beyond v1: true when the deadline was counted on weekends alone (that year's holidays not loaded yet).
    deadline_provisional: Optional[Flag] = None
    extensions: ClassVar[tuple[str, ...]] = ("deadline_provisional",)


class IssueClosed(Payload):
    event_type: ClassVar[str] = "IssueClosed"
    subject_field: ClassVar[str] = "issue_id"
    issue_id: Id
    enterprise_id: USCC
    category: IssueCategory
    raised_on: LocalDate
    deadline: LocalDate
    closed_on: LocalDate
    outcome: Outcome
    resolution: Text
    satisfaction: Optional[Satisfaction] = None


class DemandReported(Payload):
    event_type: ClassVar[str] = "DemandReported"
    subject_field: ClassVar[str] = "external_id"
    external_id: Id
    enterprise_id: USCC
    category: IssueCategory
    description: Text
    reported_on: LocalDate
    source: IssueSource


# ---- Issue events beyond contract v1 (CONTRACTS.md: "more may follow"); all on issues.v1. ----


class IssueAssigned(Payload):
    """The issue is routed (or re-routed) to a responsible unit; it stays open."""

    event_type: ClassVar[str] = "IssueAssigned"
    subject_field: ClassVar[str] = "issue_id"
    issue_id: Id
    enterprise_id: USCC
    responsible_unit: Name
    previous_unit: OptionalName = None
    assigned_on: LocalDate
    reason: Text = ""


class IssueReopened(Payload):
    """A closed issue is open again (the follow-up found the enterprise dissatisfied)."""

    event_type: ClassVar[str] = "IssueReopened"
    subject_field: ClassVar[str] = "issue_id"
    issue_id: Id
    enterprise_id: USCC
    category: IssueCategory
    reopened_on: LocalDate
    reason: Text
    deadline: LocalDate


class IssueDeadlineChanged(Payload):
    """The deadline in force changed: extended with a reason, or recounted once a holiday schedule was loaded."""

    event_type: ClassVar[str] = "IssueDeadlineChanged"
    subject_field: ClassVar[str] = "issue_id"
    issue_id: Id
    enterprise_id: USCC
    deadline: LocalDate
    previous_deadline: LocalDate
    deadline_provisional: Flag = False
    changed_on: LocalDate
    reason: Text


class IssueEscalated(Payload):
    """The supervision level of an open issue changed (published once per change)."""

    event_type: ClassVar[str] = "IssueEscalated"
    subject_field: ClassVar[str] = "issue_id"
    issue_id: Id
    enterprise_id: USCC
    level: Level
    previous_level: Level
    on: LocalDate
    deadline: LocalDate
    overdue_working_days: int = Field(ge=0)
    responsible_unit: OptionalName = None


V1 = (EnterpriseRegistered, VisitLogged, IssueRaised, IssueClosed, DemandReported)
ADDED = (IssueAssigned, IssueReopened, IssueDeadlineChanged, IssueEscalated)
PAYLOADS: dict[str, type[Payload]] = {m.event_type: m for m in (*V1, *ADDED)}
