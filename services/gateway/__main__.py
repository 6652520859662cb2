from services.gateway.bootstrap import build
from services.platform.runner import main

main("gateway", build)
