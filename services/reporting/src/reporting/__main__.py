from buildingblocks.runner import run
from reporting import settings

run("reporting.app:create_app", settings.load())
