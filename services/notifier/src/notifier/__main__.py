from buildingblocks.runner import run
from notifier import settings

run("notifier.app:create_app", settings.load())
