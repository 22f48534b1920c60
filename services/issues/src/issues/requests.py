"""HTTP request bodies of the issues service; unknown fields are refused.

"Not in the future" is judged on the clock of the app serving the request: the API sets it (`judged_on`) before
the body is validated. Bodies validated outside a request (tests, tools) use the process's clock."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Iterator, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator
from typing_extensions import Annotated

from buildingblocks.clock import Clock
from buildingblocks.clock import clock as process_clock
from contracts.enums import IssueCategory, IssueSource, Outcome, Satisfaction
from contracts.types import USCC, LocalDate, Name, OptionalName
from issues.domain import EARLIEST, LATEST

Said = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=4000)]
_clock: ContextVar[Clock] = ContextVar("issues.requests.clock", default=process_clock)


def judged_on(clock: Clock) -> None:
    """The clock that the bodies validated from now on in this context are judged on (one request's)."""
    _clock.set(clock)


@contextmanager
def judging_on(clock: Clock) -> Iterator[None]:
    """The same for a block: bodies validated in it are judged on `clock`."""
    token = _clock.set(clock)
    try:
        yield
    finally:
        _clock.reset(token)


def _in_range(day: date) -> date:
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return day


Day = Annotated[LocalDate, AfterValidator(_in_range)]


def _not_future(day):
    today = _clock.get().today()
    if day is not None and day > today:
        raise ValueError(f"cannot be in the future (today is {today.isoformat()})")
    return day


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IssueIn(Body):
    enterprise_id: USCC
    category: IssueCategory
    description: Said
    source: IssueSource
    responsible_unit: OptionalName = None
    deadline: Optional[Day] = Field(None, description="default: the township's SLA for the category, in working days")
    raised_on: Optional[Day] = Field(None, description="default: today")

    _past = field_validator("raised_on")(_not_future)


class AssignIn(Body):
    responsible_unit: Name
    reason: Annotated[str, StringConstraints(max_length=4000)] = ""
    assigned_on: Optional[Day] = Field(None, description="default: today")

    _past = field_validator("assigned_on")(_not_future)


class CloseIn(Body):
    closed_on: Day
    outcome: Outcome
    resolution: Said
    satisfaction: Optional[Satisfaction] = None

    _past = field_validator("closed_on")(_not_future)


class ReopenIn(Body):
    reopened_on: Day
    reason: Said
    deadline: Optional[Day] = None

    _past = field_validator("reopened_on")(_not_future)


class ExtendIn(Body):
    deadline: Day
    reason: Said
