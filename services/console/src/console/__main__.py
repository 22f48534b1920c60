from buildingblocks.runner import run
from console import settings

run("console.app:create_app", settings.load())
