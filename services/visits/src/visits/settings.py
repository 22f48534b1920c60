from buildingblocks.settings import Settings

PORT = 8001


def load() -> Settings:
    return Settings.from_env("visits", PORT)
