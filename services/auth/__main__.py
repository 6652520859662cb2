from services.auth.bootstrap import build
from services.platform.runner import main

main("auth", build)
