from services.dlq.bootstrap import build
from services.platform.runner import main

main("dlq", build)
