"""Field types shared by the payloads: strict where lax coercion would hide a sender's bug."""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Optional

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StrictBool, StringConstraints

from contracts import uscc

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII)


def _date_string(value: Any) -> Any:
    # Pydantic's lax mode would take 1700000000 or "2026-01-05T00:00" as a date; the contract says YYYY-MM-DD.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


def _rfc3339(value: Any) -> Any:
    # Lax mode would also take 1700000000 or "1700000000" as a timestamp; the contract says RFC 3339 with offset.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError("must be an RFC 3339 timestamp with offset, e.g. 2026-03-02T10:30:00+08:00")
    return value


def _uscc(value: str) -> str:
    try:
        return uscc.validate(value)
    except uscc.USCCError as exc:
        raise ValueError(f"not a valid Unified Social Credit Code: {exc}") from None


LocalDate = Annotated[date, BeforeValidator(_date_string)]
Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]
USCC = Annotated[
    str,
    StringConstraints(strict=True),
    AfterValidator(_uscc),
    Field(
        description="Unified Social Credit Code (GB 32100-2015), upper case, check character valid",
        json_schema_extra={"pattern": "^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$"},
    ),
]
Id = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=128)]
# Generous: a hotline description can be long, and a long text is no reason to dead-letter a demand.
Text = Annotated[str, StringConstraints(strict=True, max_length=20000)]
Flag = StrictBool
TOWNSHIP_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
TownshipId = Annotated[str, StringConstraints(strict=True, pattern=TOWNSHIP_PATTERN)]
Name = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=200)]


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


# A nullable name that other systems send as "" means "none", not an error.
OptionalName = Annotated[Optional[Name], BeforeValidator(_blank_to_none)]
