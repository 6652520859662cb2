from services.order.bootstrap import build
from services.platform.runner import main

main("order", build)
