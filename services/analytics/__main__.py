"""The analytics service: the real-time dashboard of the marketplace."""

from services.analytics.bootstrap import build
from services.platform.runner import main

main("analytics", build)
