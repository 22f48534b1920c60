"""包抓: which officials answer for an enterprise, over time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable, Optional


@dataclass(frozen=True)
class Assignment:
    official_id: str
    start: date
    end: Optional[date] = None  # inclusive; None while the official is still assigned

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def overlaps(self, other: "Assignment") -> bool:
        """The same official over days in common (an open end runs on for ever)."""
        return (
            self.official_id == other.official_id
            and (self.end is None or self.end >= other.start)
            and (other.end is None or other.end >= self.start)
        )


def assigned_on(assignments: Iterable[Assignment], day: date) -> list[str]:
    return [a.official_id for a in assignments if a.active_on(day)]
