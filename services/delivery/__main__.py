from services.delivery.bootstrap import build
from services.platform.runner import main

main("delivery", build)
