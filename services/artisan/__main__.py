"""The artisan service: geo-search of workshops and the periodic performance evaluation."""

from services.artisan.bootstrap import build
from services.platform.runner import main

main("artisan", build)
