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


PAYLOADS: dict[str, type[Payload]] = {
    m.event_type: m for m in (EnterpriseRegistered, VisitLogged, IssueRaised, IssueClosed, DemandReported)
}
