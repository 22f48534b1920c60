"""Who did what and when, for the aggregates that keep a history of their writes (enterprises, campaigns)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional


class Recorded:
    """A mixin: the dataclass declares `history`, `recorded_by` and `recorded_at`; `record` keeps them."""

    history: list[dict[str, Any]]
    recorded_by: Optional[str]
    recorded_at: Optional[datetime]

    def record(self, action: str, by: Optional[str], at: Optional[datetime], **details: Any) -> None:
        """The write kept in the history; the latest write's author and time on the aggregate."""
        self.recorded_by, self.recorded_at = by, at
        self.history.append({"action": action, "by": by, "at": at.isoformat() if at else None, **details})
