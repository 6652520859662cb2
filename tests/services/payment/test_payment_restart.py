"""Crash test: the payment process is killed (SIGKILL) while payments are processing, then restarted.

State lives in the event store: after the restart the timer finds the payments still processing (through
the payments view the projector rebuilds from ES_PAYMENTS) and drives the processor again. The payment
whose processor failed before the crash completes exactly once; the one whose processor never answers
stays processing and is voided by the saga's refund.
"""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID

import pytest

from tests.services.harness import Running, running
from tests.services.payment.support import Market

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.slow]

ERRORS_TWICE, SILENT = "4000000000000341", "4000000000000259"


@pytest.fixture(scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    # Retries 3 s and 6 s after the processor's errors: a window the kill lands in for sure.
    env = {"A4CO_PAYMENT_FIRST_RETRY": "3"}
    async with running(Path(tmp_path_factory.mktemp("payment-crash")), "payment", env=env) as started:
        yield started


async def errored_once(market: Market, payment_id: UUID) -> None:
    assert (await market.history(payment_id)).count("ProcessorErrored") == 1


async def test_a_payment_in_the_middle_of_processing_completes_exactly_once_after_a_kill(
    service: Running,
) -> None:
    market = Market(service)
    customer_id, [retried, silent] = await market.customer(ERRORS_TWICE, SILENT, registered=False)
    first = market.payment_request(customer_id, retried)
    second = market.payment_request(customer_id, silent)
    await market.request_payment(first)
    await market.request_payment(second)
    await market.one("payment.processing.started.v1", paymentId=str(second.payment_id))
    await service.wait_for(lambda: errored_once(market, first.payment_id))

    process = service.market.process("payment")
    assert process.kill()  # SIGKILL: no graceful stop, in-flight work is lost
    process.wait(10)
    assert await market.count("payment.succeeded.v1", paymentId=str(first.payment_id)) == 0
    await asyncio.to_thread(service.market.restart, "payment")

    await market.one("payment.succeeded.v1", timeout=30, paymentId=str(first.payment_id))
    await market.one("payment.split.created.v1", paymentId=str(first.payment_id))
    await asyncio.sleep(1.0)  # a duplicate, if there were one, would be out by now
    assert await market.count("payment.succeeded.v1", paymentId=str(first.payment_id)) == 1
    assert await market.count("payment.split.created.v1", paymentId=str(first.payment_id)) == 1
    assert await market.history(first.payment_id) == [
        "PaymentRequested",
        "ProcessingStarted",
        "ProcessorErrored",
        "ProcessorErrored",
        "PaymentCaptured",
        "PaymentSplit",
    ]

    # The payment whose processor never answers is still processing after the restart; the refund voids it.
    assert "PaymentCaptured" not in await market.history(second.payment_id)
    refund_id = await market.refund(second)
    voided = await market.one("payment.refunded.v1", refundId=str(refund_id))
    assert voided["outcome"] == "voided"
    assert await market.count("payment.failed.v1", paymentId=str(second.payment_id)) == 0
    assert await market.count("payment.processing.started.v1", paymentId=str(first.payment_id)) == 1
