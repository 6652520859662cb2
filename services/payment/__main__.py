"""The payment service: validates methods, charges orders, splits the money and refunds (saga steps)."""

from services.payment.bootstrap import build
from services.platform.runner import main

main("payment", build)
