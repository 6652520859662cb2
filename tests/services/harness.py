"""Running services as real processes for tests, on private NATS and Redis servers.

`Running` starts a nats-server and a redis-server of its own (so a test may kill them or leave state
behind without disturbing others), provisions the contract's streams, and starts the named services with
`python -m services.<name>` through the same launcher `make run` uses. It also gives the test what it
needs to talk to them: a JetStream context, publishers with the right field cipher, clients with tokens.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import nats
import orjson
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy, RawStreamMsg

from a4co.devstack import NatsServer, RedisServer, Stack
from a4co.devstack.marketplace import Marketplace
from services.platform.security import AesGcmFieldCipher, KeyStore, ServiceTokenIssuer

T = TypeVar("T")


class Running:
    def __init__(self, root: Path, market: Marketplace, nc: NatsClient) -> None:
        self.root = root
        self.market = market
        self.nc = nc
        self.js: JetStreamContext = nc.jetstream()
        self.keys = KeyStore(root / "keys")

    def cipher(self, as_service: str) -> AesGcmFieldCipher:
        """The field cipher of `as_service`, to publish as that service would."""
        return AesGcmFieldCipher.for_service(as_service, self.keys)

    def client(self, client_class: Callable[..., T], target: str, *, as_service: str = "gateway") -> T:
        issuer = ServiceTokenIssuer(as_service, self.keys)
        return client_class(self.market.url(target), token=issuer.provider(target))

    async def last(self, stream: str, subject: str, *, timeout: float = 10.0) -> RawStreamMsg:
        """The last message on `subject`, waiting for one to arrive."""
        return await self.wait_for(lambda: self.js.get_last_msg(stream, subject), timeout=timeout)

    async def messages(
        self,
        stream: str,
        subject: str,
        *,
        count: int = 1,
        where: Callable[[Any], bool] = lambda _: True,
        timeout: float = 10.0,
    ) -> list[Any]:
        """The decoded bodies of the first `count` messages on `subject` for which `where` holds."""
        found: list[Any] = []
        sub = await self.js.subscribe(
            subject, stream=stream, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
        )
        try:
            deadline = asyncio.get_running_loop().time() + timeout
            while len(found) < count:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    raise TimeoutError(f"{len(found)} of {count} messages on {subject} after {timeout} s")
                try:
                    msg = await sub.next_msg(timeout=remaining)
                except nats.errors.TimeoutError:
                    continue
                data = orjson.loads(msg.data)
                if where(data):
                    found.append(data)
        finally:
            await sub.unsubscribe()
        return found

    async def count(self, stream: str, subject: str) -> int:
        info = await self.js.stream_info(stream, subjects_filter=subject)
        return sum((info.state.subjects or {}).values())

    @staticmethod
    async def wait_for(probe: Callable[[], Awaitable[T]], *, timeout: float = 10.0, every: float = 0.05) -> T:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                return await probe()
            except Exception:
                if asyncio.get_running_loop().time() > deadline:
                    raise
            await asyncio.sleep(every)


@asynccontextmanager
async def running(root: Path, *services: str, env: dict[str, str] | None = None) -> AsyncIterator[Running]:
    """Private NATS and Redis under `root`, the contract provisioned, and `services` started."""
    nats_server = NatsServer(
        store_dir=root / "nats", config_file=root / "nats.conf", log_file=root / "nats.log", sync="2m"
    )
    redis_server = RedisServer(data_dir=root / "redis", log_file=root / "redis.log")
    nats_server.start()
    redis_server.start()
    stack = Stack(root / "run", environ={"NATS_URL": nats_server.url, "REDIS_URL": redis_server.url})
    market = Marketplace(
        stack, services, extra_env={"A4CO_KEYS_DIR": str(root / "keys"), **(env or {})}, default_ports={}
    )
    nc: NatsClient | None = None
    try:
        await asyncio.to_thread(market.start)
        nc = await nats.connect(nats_server.url)
        yield Running(root, market, nc)
    finally:
        if nc is not None:
            await nc.close()
        await asyncio.to_thread(market.stop)
        redis_server.stop()
        nats_server.stop()


def body(message: RawStreamMsg) -> Any:
    return orjson.loads(message.data)
