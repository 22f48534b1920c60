from buildingblocks.settings import Settings

PORT = 8003
# A rebuild replays into a new generation under a new group; the number is part of both names.
GENERATION = 1


def load() -> Settings:
    return Settings.from_env("reporting", PORT, consumer_group=f"reporting.projections.v{GENERATION}")
