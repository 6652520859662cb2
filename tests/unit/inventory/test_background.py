"""The reservation consumer's priority order, and the timer loop."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import orjson

from a4co_sdk._runtime.subscribing import Delivery, Outcome, Verdict
from services.inventory.adapters.background import by_priority, every


def delivery(priority: str | None, tag: int) -> Delivery:
    body = orjson.dumps({"tag": tag, **({"priority": priority} if priority else {})})
    return Delivery(subject="inventory.reservation.requested.v1", body=body, headers={})


async def test_a_batch_is_served_vip_first_then_high_then_normal_and_answered_in_place() -> None:
    served: list[int] = []

    async def process(deliveries: Sequence[Delivery]) -> list[Outcome]:
        tags = [orjson.loads(d.body)["tag"] for d in deliveries]
        served.extend(tags)
        return [Outcome(Verdict.ACK, delay=float(tag)) for tag in tags]  # the delay marks whose outcome

    batch = [
        delivery("normal", 0),
        delivery("high", 1),
        delivery("vip", 2),
        delivery("normal", 3),
        delivery("vip", 4),
        Delivery(subject="x", body=b'{"tag": 5, "priority": 7}', headers={}),  # not a priority at all
        delivery(None, 6),
    ]

    outcomes = await by_priority(process)(batch)

    assert served == [2, 4, 1, 0, 3, 5, 6]  # arrival order within a priority; unknown ones last
    assert [o.delay for o in outcomes] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]


async def test_an_undecodable_body_goes_last_and_still_gets_its_outcome() -> None:
    async def process(deliveries: Sequence[Delivery]) -> list[Outcome]:
        return [Outcome(Verdict.DEAD if d.body == b"\xff" else Verdict.ACK) for d in deliveries]

    outcomes = await by_priority(process)([Delivery("s", b"\xff", {}), delivery("vip", 1)])

    assert [o.verdict for o in outcomes] == [Verdict.DEAD, Verdict.ACK]


async def test_the_timer_goes_on_at_once_while_there_is_a_backlog_and_survives_failures() -> None:
    rounds: list[str] = []
    results = iter([3, 3, 1, "boom", 0])

    async def round_() -> int:
        result = next(results, 0)
        rounds.append(str(result))
        if result == "boom":
            raise RuntimeError("database restarting")
        assert isinstance(result, int)
        return result

    loop = asyncio.create_task(every(0.01, round_, batch=3)())
    async with asyncio.timeout(5):
        while len(rounds) < 6:  # noqa: ASYNC110 - polling the rounds the loop records
            await asyncio.sleep(0.005)
    loop.cancel()

    assert rounds[:6] == ["3", "3", "1", "boom", "0", "0"]
