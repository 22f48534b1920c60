"""The issues service's settings: buildingblocks' shared ones and its own (README, Configuration)."""
from typing import Optional

from pydantic import Field

from buildingblocks.settings import Settings

PORT = 8002


class IssuesSettings(Settings):
    service: str = "issues"
    port: int = PORT
    mongodb_db: str = "issues"
    consumer_group: str = "issues.intake.v1"
    sweep_interval_s: float = Field(60.0, gt=0)  # the escalation sweep
    sweep_lease_s: Optional[float] = Field(None, gt=0)  # its lease's term; unset: 3 sweeps, at least 10 s

    @property
    def sweep_lease_term_s(self) -> float:
        # A dead sweeper's lease must outlive a few of its sweeps, or two replicas would take turns.
        return self.sweep_lease_s if self.sweep_lease_s is not None else max(3 * self.sweep_interval_s, 10.0)


def load() -> IssuesSettings:
    return IssuesSettings()
