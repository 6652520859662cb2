"""Helpers shared by the provisioning tests."""

from nats.js import JetStreamContext

from a4co_sdk._runtime.provisioning import Plan, Result, apply, plan
from a4co_sdk.streams import CONSUMERS, STREAMS


async def contract_plan(js: JetStreamContext, **options) -> Plan:
    return await plan(js, STREAMS, CONSUMERS, **options)


async def provision(js: JetStreamContext, **options) -> list[Result]:
    """Plan the real contract and apply it."""
    return await apply(js, await contract_plan(js), **options)


def by_name(changes):
    return {change.name: change for change in changes}


def outcomes(results: list[Result]) -> dict[str, str]:
    return {f"{r.kind}:{r.name}": r.outcome for r in results}
