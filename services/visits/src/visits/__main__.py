from buildingblocks.runner import run
from visits import settings

run("visits.app:create_app", settings.load())
