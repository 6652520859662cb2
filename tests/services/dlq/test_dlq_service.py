"""The DLQ processor as a process: transient failures come back to their subject, the rest raise alerts."""

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nats.js.api import RawStreamMsg
from nats.js.errors import NotFoundError

from a4co_sdk._runtime.jetstream_config import consumer_config
from a4co_sdk.clients.dlq import DlqClient
from a4co_sdk.streams import DLQ_PROCESSOR, DLQ_STREAM
from tests.services.harness import Running, running

from .helpers import STREAM, SUBJECT, dead_letter, invalid, original, transient

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

MAX_RETRIES = 2


@pytest.fixture(scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    env = {
        "A4CO_DLQ_MAX_RETRIES": str(MAX_RETRIES),
        "A4CO_DLQ_RETRY_DELAYS": "0.2",
        "A4CO_DLQ_FOLLOW_UP_INTERVAL": "0.05",
    }
    async with running(Path(tmp_path_factory.mktemp("dlq")), "dlq", env=env) as started:
        yield started


async def metrics(service: Running) -> str:
    async with service.client(DlqClient, "dlq") as client:
        return await client.get_metrics()


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one Prometheus sample (0 when it is not there)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    match = re.search(rf"^{re.escape(name)}\{{{re.escape(wanted)}\}} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


async def messages_with_event_id(service: Running, event_id: str) -> list[RawStreamMsg]:
    """Every message on SUBJECT in its stream that carries `event_id`."""
    found = []
    info = await service.js.stream_info(STREAM)
    for seq in range(info.state.first_seq or 1, (info.state.last_seq or 0) + 1):
        try:
            message = await service.js.get_msg(STREAM, seq)
        except NotFoundError:
            continue
        if message.subject == SUBJECT and (message.headers or {}).get("event-id") == event_id:
            found.append(message)
    return found


async def gone_from_dlq(service: Running, seq: int) -> None:
    try:
        await service.js.get_msg(DLQ_STREAM.name, seq)
    except NotFoundError:
        return
    raise AssertionError(f"dead letter {seq} is still in the DLQ")


async def test_a_transient_handler_error_is_retried_once_with_a_new_msg_id_and_the_same_event_id(
    service: Running,
) -> None:
    message = original(service.js)
    event_id = str(message.message_id)
    seq = await dead_letter(service.js, message, kind="handler_error", error=transient())

    async def retried() -> list[RawStreamMsg]:
        found = await messages_with_event_id(service, event_id)
        assert found
        return found

    first = await service.wait_for(retried)
    await asyncio.sleep(0.5)  # ten follow-up rounds: nothing more may come
    copies = await messages_with_event_id(service, event_id)
    assert len(copies) == len(first) == 1
    headers = copies[0].headers or {}
    assert headers["Nats-Msg-Id"] == f"{event_id}.retry.1"
    assert headers["event-id"] == event_id
    assert headers["a4co-dlq-retries"] == "1"
    assert headers["correlation-id"] == message.headers["correlation-id"]
    assert copies[0].data == message.body
    await service.wait_for(lambda: gone_from_dlq(service, seq))  # the retry supersedes the dead letter
    assert sample(await metrics(service), "a4co_dlq_retries_total", service="order") >= 1


async def test_an_invalid_message_raises_an_alert_and_is_not_retried(service: Running) -> None:
    message = original(service.js)
    before = sample(await metrics(service), "a4co_alerts_total", reason="invalid")
    seq = await dead_letter(service.js, message, kind="invalid", error=invalid())

    async def alerted() -> None:
        assert sample(await metrics(service), "a4co_alerts_total", reason="invalid") == before + 1

    await service.wait_for(alerted)
    await asyncio.sleep(0.3)
    assert await messages_with_event_id(service, str(message.message_id)) == []
    stored = await service.js.get_msg(DLQ_STREAM.name, seq)  # left for a person to replay or purge
    assert stored.seq == seq
    log = (service.market.logs_dir / "dlq.log").read_text()
    line = next(line for line in log.splitlines() if f"dlq_seq={seq} " in line and "alert=dlq" in line)
    assert "level=ERROR" in line
    assert "reason=invalid" in line
    assert "service=order consumer=order-on-delivery-scheduled subject=delivery.scheduled.v1" in line
    assert "kind=invalid error=DecodeError" in line


async def test_a_permanent_handler_error_raises_an_alert_and_is_not_retried(service: Running) -> None:
    message = original(service.js)
    before = sample(await metrics(service), "a4co_alerts_total", reason="permanent_error")
    await dead_letter(service.js, message, kind="handler_error", error=KeyError("carrier"))

    async def alerted() -> None:
        after = sample(await metrics(service), "a4co_alerts_total", reason="permanent_error")
        assert after == before + 1

    await service.wait_for(alerted)
    assert await messages_with_event_id(service, str(message.message_id)) == []


async def test_a_message_still_failing_after_every_retry_raises_an_alert(service: Running) -> None:
    message = original(service.js)
    before = sample(await metrics(service), "a4co_alerts_total", reason="retries_exhausted")
    retried_twice = {**message.headers, "a4co-dlq-retries": str(MAX_RETRIES)}
    retried_twice["Nats-Msg-Id"] = f"{message.message_id}.retry.{MAX_RETRIES}"
    await dead_letter(service.js, message, kind="handler_error", error=transient(), headers=retried_twice)

    async def alerted() -> None:
        after = sample(await metrics(service), "a4co_alerts_total", reason="retries_exhausted")
        assert after == before + 1

    await service.wait_for(alerted)
    assert await messages_with_event_id(service, str(message.message_id)) == []


async def test_two_consumers_failing_the_same_event_bring_it_back_once(service: Running) -> None:
    message = original(service.js)
    event_id = str(message.message_id)
    await dead_letter(service.js, message, kind="handler_error", error=transient(), consumer="order-a")
    await dead_letter(service.js, message, kind="handler_error", error=transient(), consumer="order-b")

    async def retried() -> None:
        assert await messages_with_event_id(service, event_id)

    await service.wait_for(retried)
    await asyncio.sleep(0.5)
    # Both retries carry <event-id>.retry.1: JetStream stored the first and dropped the second.
    assert len(await messages_with_event_id(service, event_id)) == 1


async def test_health_readiness_and_metrics_over_http(service: Running) -> None:
    async with service.client(DlqClient, "dlq") as client:
        health = await client.get_health()
        ready = await client.get_readiness()
    assert health.service == "dlq"
    assert ready.status.value == "ready"
    assert 'a4co_messages_total{consumer="dlq-processor",verdict="ack"}' in await metrics(service)


@pytest.mark.slow
async def test_a_retry_decided_before_a_crash_is_sent_once_after_it(tmp_path: Path) -> None:
    """The decision is in the database: a killed processor, given the dead letter again, sends one retry."""
    env = {"A4CO_DLQ_RETRY_DELAYS": "3", "A4CO_DLQ_FOLLOW_UP_INTERVAL": "0.05"}
    async with running(tmp_path, "dlq", env=env) as service:
        message = original(service.js)
        event_id = str(message.message_id)
        seq = await dead_letter(service.js, message, kind="handler_error", error=transient())

        async def decided() -> None:
            info = await service.js.consumer_info(DLQ_STREAM.name, DLQ_PROCESSOR.name)
            assert info.ack_floor is not None
            assert (info.ack_floor.stream_seq or 0) >= seq

        await service.wait_for(decided)
        process = service.market.process("dlq")
        process.kill()  # SIGKILL: no clean shutdown
        process.wait(10)
        # Deliver every dead letter again, as after a consumer reset: the decision must not be made twice.
        await service.js.delete_consumer(DLQ_STREAM.name, DLQ_PROCESSOR.name)
        await service.js.add_consumer(DLQ_STREAM.name, consumer_config(DLQ_PROCESSOR))
        process.start()
        await asyncio.to_thread(service.market.wait_ready, ["dlq"])

        async def retried() -> list[RawStreamMsg]:
            found = await messages_with_event_id(service, event_id)
            assert found
            return found

        await service.wait_for(retried, timeout=15)
        await asyncio.sleep(1.0)
        copies = await messages_with_event_id(service, event_id)
        assert [(m.headers or {}).get("Nats-Msg-Id") for m in copies] == [f"{event_id}.retry.1"]
        log = (service.market.logs_dir / "dlq.log").read_text()
        assert log.count(f"dead letter {seq} (") == 1  # triaged once, across both processes
