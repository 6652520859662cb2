from services.loyalty.bootstrap import build
from services.platform.runner import main

main("loyalty", build)
