"""Projections: read models fed by the streams, with their checkpoint in JetStream, rebuildable at any time.

A projection is a set of tables written only by the handlers of some durable consumers of the contract.
Its checkpoint *is* those durable consumers: a message is acknowledged after the transaction that holds
its read-model change and its inbox record has committed (`transactional_batch`), so "acknowledged" means
"applied", the consumer's ack floor is how far the read model has got, and its pending count is the lag.
Redelivery and duplicates are absorbed by the inbox (and by the handlers' own business-id guards).

Rebuilding a projection replays its streams into empty tables:

1. pause the service's consumers of the projection (their run loops stop after the batch in hand and
   stay parked until resumed; the runner's restarts wait on the same gate);
2. delete their durable consumers on JetStream, so nothing is delivered while the tables are empty;
3. in one transaction, empty the projection's tables and forget the inbox records of those consumers;
4. create the durable consumers again from the contract's `ConsumerSpec`, delivering from the first
   message of the stream;
5. resume. The consumers replay the streams and the read model is built again as it was first built.

A failure between 2 and 4 leaves the consumers paused-then-resumed without a durable to bind to; the
runner keeps retrying the bind and a second rebuild (every step is idempotent) repairs it.

The rebuild is asked for with a NATS request to the service, `a4co.admin.<service>.projections.rebuild`
(body `{"projection": NAME}`), answered when step 5 is done (`a4co projections rebuild NAME`). The status
of every projection — each consumer's pending count (lag) and ack floor — is read from JetStream alone
(`a4co projections status`), so it works whether or not the service runs.

Each service lists its projections in `services/<service>/projections.py` as `PROJECTIONS`; the CLI
discovers them there.

Limits: one instance of a service per database (as everywhere in the platform today). With replicas,
the admin request reaches one of them (queue group) and only that one pauses its consumers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import orjson
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import Table, delete

from a4co_sdk._runtime.consuming import BatchConsumer
from a4co_sdk._runtime.jetstream_config import consumer_config
from a4co_sdk._runtime.sensitive import FieldCipher
from a4co_sdk._runtime.specs import ConsumerSpec
from a4co_sdk._runtime.subscribing import DeadLetterSink, Delivery, Dispatcher, Outcome, Route, Verdict

from .batching import transactional_batch
from .database import Database
from .inbox import processed_messages
from .unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from .kit import Kit

__all__ = [
    "ConsumerLag",
    "Projection",
    "ProjectionConsumer",
    "ProjectionHost",
    "ProjectionStatus",
    "RebuildResult",
    "admin_subject",
    "projection_status",
]

log = logging.getLogger(__name__)

PAUSE_TIMEOUT = 30.0
"""Longest wait for a consumer to finish the batch in hand (its fetch waits at most 5 s)."""

AfterBatch = Callable[[Sequence[Outcome]], Awaitable[None]]


def admin_subject(service: str) -> str:
    """The NATS subject a service answers rebuild requests on."""
    return f"a4co.admin.{service}.projections.rebuild"


@dataclass(frozen=True, slots=True)
class Projection:
    """A read model: the durable consumers that feed it and the tables it owns.

    `consumers` are durable consumer names of the contract (each must belong to `service`); `tables` are
    emptied on a rebuild, so they must hold nothing but what those consumers wrote.
    """

    name: str
    service: str
    consumers: tuple[str, ...]
    tables: tuple[Table, ...]
    description: str = ""

    def __post_init__(self) -> None:
        if not self.consumers:
            raise ValueError(f"projection {self.name!r} names no consumer")


@dataclass(frozen=True, slots=True)
class RebuildResult:
    projection: str
    consumers: tuple[str, ...]
    tables: tuple[str, ...]
    rows_deleted: int
    inbox_records_deleted: int
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return {
            "projection": self.projection,
            "consumers": list(self.consumers),
            "tables": list(self.tables),
            "rowsDeleted": self.rows_deleted,
            "inboxRecordsDeleted": self.inbox_records_deleted,
            "seconds": round(self.seconds, 3),
        }


class ProjectionConsumer(BatchConsumer):
    """A batch consumer that can be paused: its run loop parks on a gate until resumed.

    The runner restarts a consumer whose `run` returns; a paused consumer's restarted `run` waits on the
    gate, so a pause holds however often the runner tries.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._gate = asyncio.Event()
        self._gate.set()
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def paused(self) -> bool:
        return not self._gate.is_set()

    async def run(self) -> None:
        await self._gate.wait()
        self._idle.clear()
        try:
            await super().run()
        finally:
            self._idle.set()

    async def pause(self, *, timeout: float = PAUSE_TIMEOUT) -> None:  # noqa: ASYNC109 - a bounded wait is the point
        """Stop fetching and wait until the batch in hand is settled."""
        self._gate.clear()
        async with asyncio.timeout(timeout):
            # Stop again until idle: a run loop that was still binding to its consumer sets itself
            # running after the first stop.
            while not self._idle.is_set():
                self.stop()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._idle.wait(), 0.2)

    def resume(self) -> None:
        self._gate.set()


class ProjectionHost:
    """One service process's projections: builds their consumers, rebuilds them, answers admin requests."""

    def __init__(
        self,
        *,
        service: str,
        js: JetStreamContext,
        nc: NatsClient,
        db: Database,
        unit_of_work: Callable[[], UnitOfWork],
        projections: Iterable[Projection],
        cipher: FieldCipher | None = None,
        dead_letters: DeadLetterSink | None = None,
        after_batch: AfterBatch | None = None,
        on_rebuilt: Callable[[Projection], Awaitable[None]] | None = None,
    ) -> None:
        self.service = service
        self._js = js
        self._nc = nc
        self._db = db
        self._unit_of_work = unit_of_work
        self._cipher = cipher
        self._dead_letters = dead_letters
        self._after_batch = after_batch
        self._on_rebuilt = on_rebuilt
        self.projections: dict[str, Projection] = {}
        for projection in projections:
            if projection.service != service:
                raise ValueError(f"projection {projection.name!r} belongs to {projection.service!r}")
            if projection.name in self.projections:
                raise ValueError(f"projection {projection.name!r} is registered twice")
            self.projections[projection.name] = projection
        self._consumers: dict[str, ProjectionConsumer] = {}
        self._specs: dict[str, ConsumerSpec] = {}
        self._rebuilding = asyncio.Lock()

    @classmethod
    def from_kit(cls, kit: Kit, projections: Iterable[Projection], **options: Any) -> ProjectionHost:
        """The host for a service assembled with `services.platform.kit.Kit`."""
        runtime = kit.runtime
        assert kit.db is not None, "projections need the service's database"
        return cls(
            service=kit.name,
            js=runtime.js,
            nc=runtime.nc,
            db=kit.db,
            unit_of_work=kit.unit_of_work,
            projections=projections,
            cipher=kit.cipher,
            dead_letters=runtime.dead_letters,
            **options,
        )

    # -- consumers -------------------------------------------------------------------------------------

    def consumers(
        self, routes: Mapping[str, Sequence[Route]], *, batch_size: int = 256
    ) -> list[BatchConsumer]:
        """One pausable batch consumer per durable consumer of `routes` (all of the service's).

        Each batch runs in one transaction with the inbox, as `Kit.consumers` does; after the batch,
        `after_batch` sees the outcomes (a cache can be invalidated once the change is committed).
        Every consumer a projection names must be among the routes: a projection fed by a consumer the
        service does not run would never be rebuilt correctly.
        """
        for projection in self.projections.values():
            unknown = set(projection.consumers) - set(routes)
            if unknown:
                raise ValueError(
                    f"projection {projection.name!r} names consumers {sorted(unknown)} "
                    f"that {self.service} has no receive operation for"
                )
        built: list[BatchConsumer] = []
        for consumer_routes in routes.values():
            spec = consumer_routes[0].operation.consumer
            assert spec is not None
            dispatcher = Dispatcher(
                service=self.service, consumer=spec, routes=consumer_routes, cipher=self._cipher
            )
            consumer = ProjectionConsumer(
                self._js,
                dispatcher,
                dead_letters=self._dead_letters,
                process=self._process(transactional_batch(self._unit_of_work, dispatcher)),
                batch_size=batch_size,
            )
            self._consumers[spec.name] = consumer
            self._specs[spec.name] = spec
            built.append(consumer)
        return built

    def _process(
        self, process: Callable[[Sequence[Delivery]], Awaitable[list[Outcome]]]
    ) -> Callable[[Sequence[Delivery]], Awaitable[list[Outcome]]]:
        after = self._after_batch
        if after is None:
            return process

        async def process_then_notify(deliveries: Sequence[Delivery]) -> list[Outcome]:
            outcomes = await process(deliveries)
            if any(o.verdict is Verdict.ACK for o in outcomes):
                try:
                    await after(outcomes)
                except Exception:  # the change is committed; a failed notification must not redeliver it
                    log.exception("after-batch hook of %s failed", self.service)
            return outcomes

        return process_then_notify

    # -- rebuild ---------------------------------------------------------------------------------------

    async def rebuild(self, name: str) -> RebuildResult:
        """Empty the projection and replay its streams from the start (see the module docstring)."""
        projection = self.projections.get(name)
        if projection is None:
            known = ", ".join(sorted(self.projections)) or "none"
            raise LookupError(f"{self.service} has no projection {name!r} (it has: {known})")
        missing = [c for c in projection.consumers if c not in self._consumers]
        if missing:
            raise RuntimeError(f"consumers {missing} of {name!r} were not built by this host")
        async with self._rebuilding:
            started = time.perf_counter()
            consumers = [self._consumers[c] for c in projection.consumers]
            await asyncio.gather(*(c.pause() for c in consumers))
            try:
                jsm = self._js  # JetStreamContext is also the manager API
                for consumer_name in projection.consumers:
                    spec = self._specs[consumer_name]
                    with contextlib.suppress(NotFoundError):
                        await jsm.delete_consumer(spec.stream, spec.name)
                rows, inbox_rows = await self._empty(projection)
                for consumer_name in projection.consumers:
                    spec = replace(self._specs[consumer_name], deliver_policy="all")
                    await jsm.add_consumer(spec.stream, config=consumer_config(spec))
            finally:
                for consumer in consumers:
                    consumer.resume()
            if self._on_rebuilt is not None:
                try:
                    await self._on_rebuilt(projection)
                except Exception:
                    log.exception("on-rebuilt hook of %s failed", name)
            result = RebuildResult(
                projection=name,
                consumers=projection.consumers,
                tables=tuple(t.name for t in projection.tables),
                rows_deleted=rows,
                inbox_records_deleted=inbox_rows,
                seconds=time.perf_counter() - started,
            )
            log.info("projection %s rebuilt: %s", name, result.as_json())
            return result

    async def _empty(self, projection: Projection) -> tuple[int, int]:
        rows = 0
        async with self._db.transaction() as session:
            # Children first: a table may refer to another one of the same projection.
            for table in reversed(projection.tables):
                result = await session.execute(delete(table))
                rows += _rowcount(result)
            inbox = await session.execute(
                delete(processed_messages).where(processed_messages.c.consumer.in_(projection.consumers))
            )
        return rows, _rowcount(inbox)

    # -- admin requests --------------------------------------------------------------------------------

    def background(self) -> dict[str, Callable[[], Awaitable[None]]]:
        """The background task answering rebuild requests, for `Kit.service(background=...)`."""
        return {"projection admin": self.serve_admin}

    async def serve_admin(self) -> None:
        """Answer `a4co.admin.<service>.projections.rebuild` until cancelled."""
        subscription = await self._nc.subscribe(
            admin_subject(self.service), queue=f"a4co-admin-{self.service}", cb=self._answer
        )
        try:
            await asyncio.Event().wait()
        finally:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def _answer(self, msg: Msg) -> None:
        reply: dict[str, Any]
        try:
            request = orjson.loads(msg.data or b"{}")
            name = request.get("projection") if isinstance(request, dict) else None
            if not isinstance(name, str) or not name:
                reply = {"ok": False, "error": 'send {"projection": "<name>"}'}
            else:
                reply = {"ok": True, **(await self.rebuild(name)).as_json()}
        except LookupError as exc:
            reply = {"ok": False, "error": str(exc)}
        except Exception as exc:
            log.exception("rebuild request failed")
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        if msg.reply:
            with contextlib.suppress(Exception):
                await msg.respond(orjson.dumps(reply))


def _rowcount(result: Any) -> int:
    count = getattr(result, "rowcount", 0)
    return count if isinstance(count, int) and count > 0 else 0


# -- status --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConsumerLag:
    consumer: str
    stream: str
    exists: bool
    pending: int = 0
    """Messages of the stream the consumer has not been delivered yet (num_pending)."""
    ack_pending: int = 0
    """Delivered and not yet acknowledged."""
    ack_floor: int = 0
    """Stream sequence up to which everything is acknowledged (applied)."""
    stream_last: int = 0

    @property
    def lag(self) -> int:
        return self.pending + self.ack_pending


@dataclass(frozen=True, slots=True)
class ProjectionStatus:
    projection: Projection
    consumers: tuple[ConsumerLag, ...] = field(default_factory=tuple)

    @property
    def lag(self) -> int:
        return sum(c.lag for c in self.consumers)

    @property
    def healthy(self) -> bool:
        return all(c.exists for c in self.consumers)


async def projection_status(
    js: JetStreamContext, projection: Projection, specs: Mapping[str, ConsumerSpec]
) -> ProjectionStatus:
    """Each consumer's lag and ack floor, read from JetStream (the service need not run)."""
    lags = []
    last_seq: dict[str, int] = {}
    for name in projection.consumers:
        spec = specs[name]
        if spec.stream not in last_seq:
            try:
                last_seq[spec.stream] = (await js.stream_info(spec.stream)).state.last_seq
            except NotFoundError:
                last_seq[spec.stream] = 0
        try:
            info = await js.consumer_info(spec.stream, name)
        except NotFoundError:
            lags.append(ConsumerLag(name, spec.stream, exists=False, stream_last=last_seq[spec.stream]))
            continue
        lags.append(
            ConsumerLag(
                name,
                spec.stream,
                exists=True,
                pending=info.num_pending or 0,
                ack_pending=info.num_ack_pending or 0,
                ack_floor=info.ack_floor.stream_seq if info.ack_floor else 0,
                stream_last=last_seq[spec.stream],
            )
        )
    return ProjectionStatus(projection, tuple(lags))
