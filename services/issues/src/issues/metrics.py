"""The issues service's own metric: escalation events by level, counted where the sweep makes them."""
from __future__ import annotations

from typing import Any, Iterable

from buildingblocks.metrics import Metrics
from contracts.enums import Level


class Escalations:
    def __init__(self, metrics: Metrics):
        self.counter = metrics.counter("issues_escalations", "IssueEscalated events the sweep produced, by new level",
                                       ["level"])
        for level in Level:  # every level's series exists from the start, at 0
            self.counter.labels(level.value)

    def count(self, changed: Iterable[dict[str, Any]]) -> None:
        """`changed`: what handlers.sweep returns, one issue (its new `level`) per IssueEscalated."""
        for issue in changed:
            level = issue["level"]
            self.counter.labels(str(getattr(level, "value", level))).inc()
