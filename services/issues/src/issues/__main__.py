from buildingblocks.runner import run
from issues import settings

run("issues.app:create_app", settings.load())
