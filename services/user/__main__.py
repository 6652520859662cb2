from services.platform.runner import main
from services.user.bootstrap import build

main("user", build)
