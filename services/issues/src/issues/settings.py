from buildingblocks.settings import Settings

PORT = 8002


def load() -> Settings:
    return Settings.from_env("issues", PORT, consumer_group="issues.intake.v1")
