from services.inventory.bootstrap import build
from services.platform.runner import main

main("inventory", build)
