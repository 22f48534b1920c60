"""The visits service's settings: buildingblocks' shared ones and its own (README, Configuration)."""
from pydantic import Field, field_validator

from buildingblocks.settings import Settings

PORT = 8001


class VisitsSettings(Settings):
    service: str = "visits"
    port: int = PORT
    mongodb_db: str = "visits"
    # How often every replica stores the visits a dead process reserved but never stored (handlers.recover_reserved).
    recovery_interval_s: float = Field(30.0, gt=0)
    # Its consumer of visits.v1 and issues.v1: the contacts of each enterprise (contacts.py).
    consumer_group: str = "visits.projections.v1"

    @field_validator("consumer_group")
    @classmethod
    def _a_group(cls, group: str) -> str:
        return group or "visits.projections.v1"  # an empty CONSUMER_GROUP leaves the default


def load() -> VisitsSettings:
    return VisitsSettings()
