"""HTTP request bodies of the issues service; unknown fields are refused."""
from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from typing_extensions import Annotated

from contracts.enums import IssueCategory, IssueSource, Outcome, Satisfaction
from contracts.types import USCC, LocalDate, Name, OptionalName
from issues.domain import today

Said = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=4000)]


def _not_future(day):
    if day is not None and day > today():
        raise ValueError(f"cannot be in the future (today is {today().isoformat()})")
    return day


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IssueIn(Body):
    enterprise_id: USCC
    category: IssueCategory
    description: Said
    source: IssueSource
    responsible_unit: OptionalName = None
    deadline: Optional[LocalDate] = Field(None, description="default: the township's SLA for the category, in working days")
    raised_on: Optional[LocalDate] = Field(None, description="default: today")

    _past = field_validator("raised_on")(_not_future)


class AssignIn(Body):
    responsible_unit: Name
    reason: Annotated[str, StringConstraints(max_length=4000)] = ""
    assigned_on: Optional[LocalDate] = Field(None, description="default: today")

    _past = field_validator("assigned_on")(_not_future)


class CloseIn(Body):
    closed_on: LocalDate
    outcome: Outcome
    resolution: Said
    satisfaction: Optional[Satisfaction] = None

    _past = field_validator("closed_on")(_not_future)


class ReopenIn(Body):
    reopened_on: LocalDate
    reason: Said
    deadline: Optional[LocalDate] = None

    _past = field_validator("reopened_on")(_not_future)


class ExtendIn(Body):
    deadline: LocalDate
    reason: Said
