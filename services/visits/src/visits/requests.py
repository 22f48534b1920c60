"""HTTP request bodies. Unknown fields are refused so a typo never passes silently."""
from __future__ import annotations

from contextvars import ContextVar
from datetime import date
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from typing_extensions import Annotated

from contracts.enums import Channel, EnterpriseCategory, EnterpriseStatus, IssueCategory, Rank, Service, VisitKind
from contracts.types import USCC, Flag, Id, LocalDate, Name, OptionalName, Text
from visits.domain import VisitInFuture, refuse_future

# The day the request is judged on, from the app's clock (api.judged_on_the_clock sets it before the body is read), so
# that a future `visited_on` is named in the same 422 as the body's other errors. Unset outside a request: the
# Visit itself refuses a future day, on the clock its handler is given.
REQUEST_DAY: ContextVar[Optional[date]] = ContextVar("request_day", default=None)

Description = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=4000)]


def _once(values: list, what: str) -> list:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} is listed twice")
    return values


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OfficialIn(Body):
    official_id: Id
    name: Name
    rank: Rank
    unit: OptionalName = None


class CountyOfficialIn(Body):
    """A county-level official (县级领导), registered once for every township; the id is in the path."""

    name: Name
    rank: Rank
    unit: OptionalName = None


class EnterpriseIn(Body):
    enterprise_id: USCC
    name: Name
    category: EnterpriseCategory
    registered_on: Optional[LocalDate] = Field(None, description="defaults to today (China time)")
    park: OptionalName = None
    assigned_official_ids: list[Id] = Field(default_factory=list)

    _distinct = field_validator("assigned_official_ids")(lambda ids: _once(ids, "an official"))


class DemandIn(Body):
    category: IssueCategory
    description: Description
    resolved_on_spot: Flag = False


class PositionIn(Body):
    """WGS-84 degrees, as a phone's browser or GPS gives them."""

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lng: float = Field(ge=-180, le=180, allow_inf_nan=False)

    @model_validator(mode="after")
    def somewhere(self) -> "PositionIn":
        if self.lat == 0 and self.lng == 0:  # what a phone reports when it has no fix
            raise ValueError("lat, lng: 0, 0 is not a position (the phone had no fix)")
        return self


class VisitIn(Body):
    enterprise_id: USCC
    visited_on: LocalDate
    visitor_ids: list[Id] = Field(min_length=1, description="the first is the lead")
    channel: Channel
    kind: VisitKind
    services: list[Service] = Field(default_factory=list)
    summary: Text = ""
    demands: list[DemandIn] = Field(default_factory=list)
    override_reason: Optional[Text] = Field(None, description="lets a visit through the disturbance guard; recorded and published")
    plan_id: Optional[Id] = Field(None, description="the planned visit this visit carries out; the plan is done with it")
    check_in: Optional[PositionIn] = Field(None, description="where the visitor was (optional): shown with its distance from the enterprise")

    @field_validator("visited_on")
    @classmethod
    def not_in_future(cls, day):
        if (today := REQUEST_DAY.get()) is not None:
            try:
                refuse_future(day, today)
            except VisitInFuture as exc:
                raise ValueError(exc.message) from None
        return day

    _distinct_visitors = field_validator("visitor_ids")(lambda ids: _once(ids, "an official"))
    _distinct_services = field_validator("services")(lambda services: _once(services, "a service"))

    @model_validator(mode="after")
    def joint_has_company(self) -> "VisitIn":
        if self.kind is VisitKind.joint and len(self.visitor_ids) < 2:
            raise ValueError("visitor_ids: a joint visit needs at least two officials")
        return self


class AssignmentIn(Body):
    official_id: Id
    start: Optional[LocalDate] = Field(None, description="defaults to today")
    end: Optional[LocalDate] = None

    @model_validator(mode="after")
    def ordered(self) -> "AssignmentIn":
        if self.start and self.end and self.end < self.start:
            raise ValueError("end: the assignment ends before it starts")
        return self


class AssignmentEnd(Body):
    end: LocalDate
    reason: Text = Field("", description="why it ends (published in AssignmentEnded)")


RegistryName = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=100)]


class TownshipIn(Body):
    name: RegistryName = Field(description="the township's Chinese name, e.g. 大程镇")
    county: RegistryName = Field(description="the county's Chinese name, e.g. 示范县")


class TownshipSettingsIn(Body):
    quiet_period_days: int = Field(ge=0, le=365, description="days between two routine visits to one enterprise")


Reason = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=4000)]


class PlanIn(Body):
    enterprise_id: USCC
    planned_on: LocalDate = Field(description="today or a later day")
    lead_id: Id = Field(description="the official who leads the visit")
    invited_ids: list[Id] = Field(default_factory=list, description="the officials invited to go with the lead")
    purpose: Text = ""
    override_reason: Optional[Text] = Field(None, description="lets a plan through the disturbance guard")

    _distinct = field_validator("invited_ids")(lambda ids: _once(ids, "an official"))

    @model_validator(mode="after")
    def lead_not_invited(self) -> "PlanIn":
        if self.lead_id in self.invited_ids:
            raise ValueError("invited_ids: the lead is not also invited")
        return self


class PlanJoinIn(Body):
    official_id: Id = Field(description="the official who joins the planned visit (联合走访)")


class PlanCancelIn(Body):
    reason: Reason = Field(description="why the plan is cancelled (required)")


class CampaignIn(Body):
    campaign_id: Optional[Id] = Field(None, description="defaults to a new id")
    name: Name = Field(description="e.g. 2026年一季度企业走访日")
    days: list[LocalDate] = Field(min_length=1, description="the visit day(s), today or later")
    enterprise_ids: list[USCC] = Field(min_length=1, description="the enterprises in scope")
    invited_ids: list[Id] = Field(min_length=1, description="the county leaders invited")
    host_id: Id = Field(description="the township official who goes with them, and leads where no accepting leader is assigned")

    _distinct_days = field_validator("days")(lambda days: _once(days, "a day"))
    _distinct_enterprises = field_validator("enterprise_ids")(lambda ids: _once(ids, "an enterprise"))
    _distinct_invited = field_validator("invited_ids")(lambda ids: _once(ids, "an official"))


class AnswerIn(Body):
    official_id: Id = Field(description="the invited leader answering")
    accepted: Flag
    reason: Text = Field("", description="required when declining")


class EnterpriseChange(Body):
    """PATCH: only the fields given change; `park: null` clears the park."""

    name: Optional[Name] = None
    park: OptionalName = None
    status: Optional[EnterpriseStatus] = Field(None, description="在营 active, 停产 suspended, 迁出 moved_out, 注销 deregistered")
    status_on: Optional[LocalDate] = Field(None, description="the day the status took effect (default today)")

    @model_validator(mode="after")
    def something(self) -> "EnterpriseChange":
        if "name" in self.model_fields_set and self.name is None:
            raise ValueError("name: an enterprise keeps a name")
        if "status" in self.model_fields_set and self.status is None:
            raise ValueError("status: give one of active, suspended, moved_out, deregistered")
        if self.status_on is not None and self.status is None:
            raise ValueError("status_on: give the status that takes effect on that day")
        return self


class ContactBudgetIn(Body):
    max_contacts_per_month: int = Field(ge=1, le=100, description="contacts per enterprise per month, county-wide (接触预算)")
