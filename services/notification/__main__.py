from services.notification.bootstrap import build
from services.platform.runner import main

main("notification", build)
