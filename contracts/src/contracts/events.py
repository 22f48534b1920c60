"""Payloads (`data`) of the v1 event types, field for field as CONTRACTS.md §1 names them.

Readers are tolerant: unknown fields are ignored, and nullable fields may be absent.
"""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_serializer

from contracts.enums import (
    Channel,
    EnterpriseCategory,
    EnterpriseStatus,
    FindingSource,
    IssueCategory,
    IssueSource,
    Level,
    Outcome,
    Rank,
    Satisfaction,
    Service,
    SubjectKind,
    UnitKind,
    VisitKind,
)
from contracts.types import USCC, Flag, Id, LocalDate, Name, OptionalName, Text, TownshipId


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
    extensions: ClassVar[tuple[str, ...]] = ("override_reason", "plan_id")
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
    # Beyond v1: the planned visit this visit carried out (the plan is done with it).
    plan_id: Optional[Id] = None


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
    # Beyond v1: the registered unit it was routed to, and the sender's own id and system (e.g. the 12345 工单).
    unit_id: Optional[Id] = None
    external_id: Optional[Id] = None
    source_system: OptionalName = None
    extensions: ClassVar[tuple[str, ...]] = ("deadline_provisional", "unit_id", "external_id", "source_system")


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
    # Beyond v1: the unit that closed it, the working days from raised (or reopened) to closed, the sender's ids.
    unit_id: Optional[Id] = None
    working_days_to_close: Optional[int] = Field(default=None, ge=0)
    external_id: Optional[Id] = None
    source_system: OptionalName = None
    extensions: ClassVar[tuple[str, ...]] = ("unit_id", "working_days_to_close", "external_id", "source_system")


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
# `enterprise_id` is absent (null) on the events of a finding (FindingRaised): a problem in a procedure or a unit.
# Their Kafka key is the enterprise_id, or the issue_id for a finding.


class IssueAssigned(Payload):
    """The issue is routed (or re-routed) to a responsible unit; it stays open."""

    event_type: ClassVar[str] = "IssueAssigned"
    subject_field: ClassVar[str] = "issue_id"
    extensions: ClassVar[tuple[str, ...]] = ("unit_id", "previous_unit_id")
    issue_id: Id
    enterprise_id: Optional[USCC] = None
    responsible_unit: Name
    previous_unit: OptionalName = None
    assigned_on: LocalDate
    reason: Text = ""
    # The registered units (absent: a free-text unit, shown as unregistered).
    unit_id: Optional[Id] = None
    previous_unit_id: Optional[Id] = None


class IssueReopened(Payload):
    """A closed issue is open again (the follow-up found the enterprise dissatisfied)."""

    event_type: ClassVar[str] = "IssueReopened"
    subject_field: ClassVar[str] = "issue_id"
    issue_id: Id
    enterprise_id: Optional[USCC] = None
    category: IssueCategory
    reopened_on: LocalDate
    reason: Text
    deadline: LocalDate


class IssueDeadlineChanged(Payload):
    """The deadline in force changed: an approved extension, or recounted once a holiday schedule was loaded."""

    event_type: ClassVar[str] = "IssueDeadlineChanged"
    subject_field: ClassVar[str] = "issue_id"
    issue_id: Id
    enterprise_id: Optional[USCC] = None
    deadline: LocalDate
    previous_deadline: LocalDate
    deadline_provisional: Flag = False
    changed_on: LocalDate
    reason: Text


class IssueEscalated(Payload):
    """The supervision level of an open issue changed (published once per change)."""

    event_type: ClassVar[str] = "IssueEscalated"
    subject_field: ClassVar[str] = "issue_id"
    extensions: ClassVar[tuple[str, ...]] = ("unit_id",)
    issue_id: Id
    enterprise_id: Optional[USCC] = None
    level: Level
    previous_level: Level
    on: LocalDate
    deadline: LocalDate
    overdue_working_days: int = Field(ge=0)
    responsible_unit: OptionalName = None
    unit_id: Optional[Id] = None


class IssueAcknowledged(Payload):
    """签收: the lead unit took the issue on."""

    event_type: ClassVar[str] = "IssueAcknowledged"
    subject_field: ClassVar[str] = "issue_id"
    issue_id: Id
    enterprise_id: Optional[USCC] = None
    unit_id: Id
    responsible_unit: Name
    assigned_on: LocalDate  # the routing this acknowledges
    acknowledged_on: LocalDate
    working_days_to_acknowledge: int = Field(ge=0)  # from assigned_on, on the working-day calendar
    on_time: Flag  # within the township's `acknowledge_within` working days


class IssueReturned(Payload):
    """退回: the unit says the issue is not its own; it waits for the dispatcher to route it again."""

    event_type: ClassVar[str] = "IssueReturned"
    subject_field: ClassVar[str] = "issue_id"
    issue_id: Id
    enterprise_id: Optional[USCC] = None
    unit_id: Id
    responsible_unit: Name
    returned_on: LocalDate
    reason: Text
    suggested_unit_id: Optional[Id] = None  # the unit it should go to, where the returning unit knows


class IssueCoHandlingSet(Payload):
    """协办: the lead unit and the co-units, each of which reports its part (IssueProgressNoted, part_done)."""

    event_type: ClassVar[str] = "IssueCoHandlingSet"
    subject_field: ClassVar[str] = "issue_id"
    issue_id: Id
    enterprise_id: Optional[USCC] = None
    lead_unit_id: Id
    co_unit_ids: list[Id] = Field(default_factory=list)
    set_on: LocalDate


class IssueProgressNoted(Payload):
    """阶段答复: a progress note, visible to the township and the 包抓 leader; `part_done` is a co-unit's part reported."""

    event_type: ClassVar[str] = "IssueProgressNoted"
    subject_field: ClassVar[str] = "issue_id"
    issue_id: Id
    enterprise_id: Optional[USCC] = None
    unit_id: Optional[Id] = None  # absent: noted by the township
    noted_on: LocalDate
    note: Text
    part_done: Flag = False


class IssueExtensionRequested(Payload):
    """延期申请: the unit asks for a later deadline, with the reason."""

    event_type: ClassVar[str] = "IssueExtensionRequested"
    subject_field: ClassVar[str] = "issue_id"
    issue_id: Id
    enterprise_id: Optional[USCC] = None
    request_id: Id
    unit_id: Optional[Id] = None
    deadline: LocalDate  # the deadline in force when asked
    requested_deadline: LocalDate
    requested_on: LocalDate
    reason: Text


class IssueExtensionDecided(Payload):
    """延期审批: a supervisor or admin approved (then IssueDeadlineChanged follows) or refused the request."""

    event_type: ClassVar[str] = "IssueExtensionDecided"
    subject_field: ClassVar[str] = "issue_id"
    issue_id: Id
    enterprise_id: Optional[USCC] = None
    request_id: Id
    approved: Flag
    decided_on: LocalDate
    deadline: LocalDate  # the deadline in force after the decision
    reason: Text = ""


class IssueFollowedUp(Payload):
    """回访: someone who is not the handler asked the enterprise; dissatisfied reopens it (IssueReopened follows)."""

    event_type: ClassVar[str] = "IssueFollowedUp"
    subject_field: ClassVar[str] = "issue_id"
    issue_id: Id
    enterprise_id: Optional[USCC] = None
    followed_up_on: LocalDate
    satisfaction: Satisfaction
    note: Text = ""
    unit_id: Optional[Id] = None  # the unit that closed it


class FindingRaised(Payload):
    """A problem in a procedure or a unit (一把手走流程, 督查整改), not an enterprise's: worked like an issue.
    Its later events are the issue events above with `enterprise_id` absent, and FindingClosed."""

    event_type: ClassVar[str] = "FindingRaised"
    subject_field: ClassVar[str] = "issue_id"
    extensions: ClassVar[tuple[str, ...]] = ("deadline_provisional", "unit_id", "visit_id")
    issue_id: Id
    found_by: FindingSource
    subject_kind: SubjectKind
    subject_name: Name  # the procedure or unit, as named
    subject_unit_id: Optional[Id] = None
    category: IssueCategory
    description: Text
    responsible_unit: OptionalName = None
    unit_id: Optional[Id] = None
    visit_id: Optional[Id] = None  # the walkthrough visit that found it
    raised_on: LocalDate
    deadline: LocalDate
    deadline_provisional: Optional[Flag] = None


class FindingClosed(Payload):
    """A finding is closed (the counterpart of IssueClosed, which v1 readers take to name an enterprise)."""

    event_type: ClassVar[str] = "FindingClosed"
    subject_field: ClassVar[str] = "issue_id"
    issue_id: Id
    subject_name: Name
    category: IssueCategory
    raised_on: LocalDate
    deadline: LocalDate
    closed_on: LocalDate
    outcome: Outcome
    resolution: Text
    unit_id: Optional[Id] = None
    working_days_to_close: Optional[int] = Field(default=None, ge=0)


class UnitRegistered(Payload):
    """A responsible unit (责任单位) registered or changed; `township` of the envelope is "county" for county units.
    Contacts for notices are not here: they stay with the notifier's recipients."""

    event_type: ClassVar[str] = "UnitRegistered"
    subject_field: ClassVar[str] = "unit_id"
    unit_id: Id
    name: Name
    kind: UnitKind
    parent_id: Optional[Id] = None
    head: OptionalName = None  # the head's name
    active: Flag = True


class TownshipRegistered(Payload):
    """A township of the county's registry added or renamed (county admin): its Chinese name and its county's, for
    the documents other services print (a bulletin names 大程镇, not dacheng). The envelope's `township` is the township."""

    event_type: ClassVar[str] = "TownshipRegistered"
    subject_field: ClassVar[str] = "township_id"
    township_id: TownshipId
    name: Name
    county: Name


# ---- Planned visits and 企业走访日 campaigns, beyond contract v1; all on visits.v1. ----
# A plan's events are keyed by its enterprise; a campaign's by the campaign id (it concerns many enterprises).


class VisitPlanned(Payload):
    """A visit planned for a day (today or later): its lead, the officials invited to go with them, the purpose."""

    event_type: ClassVar[str] = "VisitPlanned"
    subject_field: ClassVar[str] = "plan_id"
    extensions: ClassVar[tuple[str, ...]] = ("campaign_id",)
    plan_id: Id
    enterprise_id: USCC
    planned_on: LocalDate
    lead: Official
    invited: list[Official] = Field(default_factory=list)
    purpose: Text = ""
    campaign_id: Optional[Id] = None  # the 企业走访日 campaign it was made from


class VisitPlanJoined(Payload):
    """联合走访: an official joins a planned visit instead of visiting the enterprise again on their own."""

    event_type: ClassVar[str] = "VisitPlanJoined"
    subject_field: ClassVar[str] = "plan_id"
    plan_id: Id
    enterprise_id: USCC
    official: Official


class VisitPlanCancelled(Payload):
    event_type: ClassVar[str] = "VisitPlanCancelled"
    subject_field: ClassVar[str] = "plan_id"
    plan_id: Id
    enterprise_id: USCC
    cancelled_on: LocalDate
    reason: Text


class CampaignAnnounced(Payload):
    """企业走访日: the day(s), the enterprises in scope and the county leaders invited."""

    event_type: ClassVar[str] = "CampaignAnnounced"
    subject_field: ClassVar[str] = "campaign_id"
    campaign_id: Id
    name: Name
    days: list[LocalDate] = Field(min_length=1)
    enterprise_ids: list[USCC] = Field(default_factory=list)
    invited: list[Official] = Field(default_factory=list)


class CampaignInvitationAnswered(Payload):
    """An invited leader accepts or declines (a later answer replaces an earlier one)."""

    event_type: ClassVar[str] = "CampaignInvitationAnswered"
    subject_field: ClassVar[str] = "campaign_id"
    campaign_id: Id
    official_id: Id
    accepted: Flag
    reason: Text = ""


# ---- Visits events beyond contract v1; on visits.v1, keyed by the enterprise_id. ----


class AssignmentStarted(Payload):
    """An official is assigned (包抓) to an enterprise from `started_on` (inclusive). The officials of an
    EnterpriseRegistered count as started on its `registered_on`: no AssignmentStarted is published for them."""

    event_type: ClassVar[str] = "AssignmentStarted"
    subject_field: ClassVar[str] = "enterprise_id"
    enterprise_id: USCC
    official: Official
    started_on: LocalDate


class AssignmentEnded(Payload):
    """The official's assignment to the enterprise ends on `ended_on` (inclusive: still assigned that day)."""

    event_type: ClassVar[str] = "AssignmentEnded"
    subject_field: ClassVar[str] = "enterprise_id"
    enterprise_id: USCC
    official_id: Id
    ended_on: LocalDate
    reason: Text = ""


class EvidenceAttached(Payload):
    """A photo or file (佐证材料, 走访照片) attached to a visit (`owner` "visit"). The bytes stay in the owning
    service (`GET …/evidence/{evidence_id}`); `sha256` is of the stored bytes, so any copy can be checked."""

    event_type: ClassVar[str] = "EvidenceAttached"
    subject_field: ClassVar[str] = "evidence_id"
    evidence_id: Id
    enterprise_id: USCC
    owner: Literal["visit", "issue"]
    owner_id: Id  # the visit_id or issue_id
    name: Name  # the file's name as uploaded, without any folder
    content_type: Annotated[str, StringConstraints(strict=True, min_length=3, max_length=100)]  # from its content
    size: int = Field(ge=1)  # bytes stored
    sha256: Annotated[str, StringConstraints(strict=True, pattern="^[0-9a-f]{64}$")]


class IssueEvidenceAttached(EvidenceAttached):
    """The same for an issue (`owner` "issue"), e.g. the proof of its closure; on issues.v1, which the issues
    service owns (each type has one topic)."""

    event_type: ClassVar[str] = "IssueEvidenceAttached"


class EnterpriseChanged(Payload):
    """An enterprise of the list edited (visits.v1): its name, park and status (企业状态) after the change. `status_on`
    is the day the status took effect (for moved_out / deregistered: the day it left the list); `changed_on` the day
    the change was recorded."""

    event_type: ClassVar[str] = "EnterpriseChanged"
    subject_field: ClassVar[str] = "enterprise_id"
    enterprise_id: USCC
    name: Name
    park: OptionalName = None
    status: EnterpriseStatus
    status_on: LocalDate
    changed_on: LocalDate


V1 = (EnterpriseRegistered, VisitLogged, IssueRaised, IssueClosed, DemandReported)
ADDED = (IssueAssigned, IssueReopened, IssueDeadlineChanged, IssueEscalated, IssueAcknowledged, IssueReturned,
         IssueCoHandlingSet, IssueProgressNoted, IssueExtensionRequested, IssueExtensionDecided, IssueFollowedUp,
         FindingRaised, FindingClosed, UnitRegistered, VisitPlanned, VisitPlanJoined, VisitPlanCancelled,
         CampaignAnnounced, CampaignInvitationAnswered, AssignmentStarted, AssignmentEnded, EvidenceAttached,
         IssueEvidenceAttached, EnterpriseChanged, TownshipRegistered)
PAYLOADS: dict[str, type[Payload]] = {m.event_type: m for m in (*V1, *ADDED)}
