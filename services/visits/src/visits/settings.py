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
    # Its consumer of visits.v1 and issues.v1: the contacts of each enterprise (contacts.py) and the open issues
    # of "my enterprises" (open_issues.py).
    consumer_group: str = "visits.projections.v1"

    @field_validator("consumer_group")
    @classmethod
    def _a_group(cls, group: str) -> str:
        return group or "visits.projections.v1"  # an empty CONSUMER_GROUP leaves the default

    # The county's check-in radius: a visit checked in farther than this from the enterprise is shown as outside it.
    check_in_radius_m: int = Field(500, ge=10, le=100_000)


def load() -> VisitsSettings:
    return VisitsSettings()
