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
from contracts.enums import FindingSource, IssueCategory, IssueSource, Outcome, Satisfaction, SubjectKind, UnitKind
from contracts.types import USCC, Id, LocalDate, Name, OptionalName
from issues.domain import EARLIEST, LATEST

Said = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=4000)]
Note = Annotated[str, StringConstraints(strict=True, max_length=4000)]
UNIT_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
UnitId = Annotated[str, StringConstraints(strict=True, pattern=UNIT_PATTERN)]
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
    unit_id: Optional[UnitId] = Field(None, description="a registered unit; default: the category's unit (routing)")
    responsible_unit: OptionalName = Field(None, description="a free-text unit (no unit_id): kept, shown unregistered")
    external_id: Optional[Id] = Field(None, description="the sender's own id (e.g. the 12345 工单)")
    source_system: OptionalName = None
    deadline: Optional[Day] = Field(None, description="default: the township's SLA for the category, in working days")
    raised_on: Optional[Day] = Field(None, description="default: today")

    _past = field_validator("raised_on")(_not_future)


class AssignIn(Body):
    unit_id: Optional[UnitId] = Field(None, description="a registered unit: its name becomes the responsible unit")
    responsible_unit: OptionalName = Field(None, description="a free-text unit, when no unit_id is given")
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


class AcknowledgeIn(Body):
    acknowledged_on: Optional[Day] = Field(None, description="default: today")

    _past = field_validator("acknowledged_on")(_not_future)


class ReturnIn(Body):
    reason: Said
    suggested_unit_id: Optional[UnitId] = None


class CoHandlingIn(Body):
    co_unit_ids: list[UnitId] = Field(max_length=20)


class ProgressIn(Body):
    note: Said
    part_done: bool = Field(False, description="a co-unit reports its part done")


class ExtensionRequestIn(Body):
    deadline: Day
    reason: Said


class DecisionIn(Body):
    approved: bool
    reason: Note = ""


class FollowUpIn(Body):
    satisfaction: Satisfaction
    note: Note = ""
    followed_up_on: Optional[Day] = Field(None, description="default: today")

    _past = field_validator("followed_up_on")(_not_future)


class FindingIn(Body):
    found_by: FindingSource
    subject_kind: SubjectKind
    subject_name: Name
    subject_unit_id: Optional[UnitId] = None
    category: IssueCategory
    description: Said
    unit_id: Optional[UnitId] = Field(None, description="default: the category's unit (routing)")
    visit_id: Optional[Id] = None
    raised_on: Optional[Day] = Field(None, description="default: today")
    deadline: Optional[Day] = None

    _past = field_validator("raised_on")(_not_future)


class UnitIn(Body):
    name: Name
    kind: UnitKind
    parent_id: Optional[UnitId] = None
    head: OptionalName = None
    contact: OptionalName = None
    active: bool = True
