"""The reporting service's settings (also `python -m reporting.rebuild`'s): buildingblocks' shared ones."""
from buildingblocks.settings import Settings

PORT = 8003
# A rebuild replays into a new generation under a new group; the number is part of both names.
GENERATION = 1


class ReportingSettings(Settings):
    service: str = "reporting"
    port: int = PORT
    mongodb_db: str = "reporting"
    consumer_group: str = f"reporting.projections.v{GENERATION}"


def load() -> ReportingSettings:
    return ReportingSettings()
