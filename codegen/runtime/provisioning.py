"""Provision JetStream streams and durable consumers from their specs: `plan` what differs, then `apply` it.

Why this is not left to the messaging library: FastStream overwrites an existing stream's settings with
whatever the starting application declares and silently ignores changes to a durable consumer, so the
broker's configuration would depend on which service started last and a changed consumer in the contract
would never reach the server. Provisioning is a separate, reviewable step instead:

- `plan` only reads. It compares the server with the specs field by field (only the fields a spec sets;
  durations in seconds, compared to the nanosecond the server keeps) and sorts every stream and consumer
  into create / update / unchanged / conflict. A conflict is a difference the server cannot apply in place,
  or one it would apply with consequences nobody should get by accident (a retention change on a stream
  that holds messages); each says why and what the operator can do.
- `apply` creates what is missing and updates what differs, changing only the fields the plan shows (the
  spec's fields are laid over the server's current configuration, so settings the spec does not set are
  left as they are). Conflicts are skipped unless `allow_conflicts`, and even then only consumers are
  recreated: a stream is never deleted. Streams and durable consumers the server has and the specs do not
  are reported as unmanaged and left alone. Applying the same specs twice changes nothing the second time.

Replicas are clamped to the size of the cluster the client is connected to: a server whose INFO names no
cluster holds one replica; a cluster is taken to have as many servers as its INFO advertises
(`connect_urls`). That count can be too high (servers without JetStream, several addresses per server) or
missing (`no_advertise`), so `apply` also lowers the replicas one by one when the server answers that it
has too few peers, and says so in its result.
"""

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, Literal, TypeVar

from nats.errors import Error as NatsError
from nats.js import api
from nats.js.errors import APIError, ServiceUnavailableError
from nats.js.manager import JetStreamManager

from .errors import ProvisioningError
from .jetstream_config import consumer_config, stream_config
from .specs import ConsumerSpec, StreamSpec

__all__ = [
    "DURATION_FIELDS",
    "Action",
    "ClusterSize",
    "Conflict",
    "ConsumerChange",
    "Difference",
    "Outcome",
    "Plan",
    "Result",
    "StreamChange",
    "Unmanaged",
    "apply",
    "plan",
    "subjects_overlap",
]

Action = Literal["create", "update", "unchanged", "conflict"]
Outcome = Literal["created", "updated", "recreated", "unchanged", "skipped"]

DURATION_FIELDS = frozenset({"max_age", "duplicate_window", "ack_wait", "backoff"})
"""Fields whose values are durations in seconds (`backoff`: a tuple of them)."""

_NS = 1_000_000_000
_TOO_FEW_PEERS = frozenset({10005, 10023, 10074})
"""Server errors that mean "not that many replicas here": no suitable peers for placement, insufficient
resources, replicas > 1 not supported in non-clustered mode."""
_NOT_CLUSTERED = 10074
_EDITABLE_RETENTION = frozenset({"limits", "interest"})

T = TypeVar("T")


# -- the plan ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Difference:
    """A field whose value on the server differs from the spec's (durations in seconds)."""

    field: str
    server: object
    contract: object


@dataclass(frozen=True, slots=True)
class Conflict:
    """Why a difference cannot be applied in place, and what the operator can do about it."""

    field: str
    reason: str
    remedy: str


@dataclass(frozen=True, slots=True)
class StreamChange:
    """What provisioning does to one stream of the specs."""

    spec: StreamSpec
    action: Action
    replicas: int
    """Replicas asked for: the spec's, clamped to the cluster size."""
    differences: tuple[Difference, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    current: api.StreamConfig | None = None
    """The server's configuration (None when the stream does not exist)."""
    messages: int = 0

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True, slots=True)
class ConsumerChange:
    """What provisioning does to one durable consumer of the specs."""

    spec: ConsumerSpec
    action: Action
    differences: tuple[Difference, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    current: api.ConsumerConfig | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def stream(self) -> str:
        return self.spec.stream


@dataclass(frozen=True, slots=True)
class Unmanaged:
    """A stream (consumer None), or a durable consumer of a provisioned stream, that no spec describes."""

    stream: str
    consumer: str | None = None
    subjects: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ClusterSize:
    """How many replicas a stream can have on the server the client talks to (None: unknown)."""

    replicas: int | None
    clustered: bool
    name: str | None
    source: str
    """How the size was found, in words for the operator."""


@dataclass(frozen=True, slots=True)
class Plan:
    """The difference between the server and the specs; `apply` carries it out."""

    streams: tuple[StreamChange, ...]
    consumers: tuple[ConsumerChange, ...]
    unmanaged: tuple[Unmanaged, ...]
    cluster: ClusterSize
    warnings: tuple[str, ...]

    @property
    def in_sync(self) -> bool:
        """True when every stream and consumer of the specs is on the server as they say."""
        return self.count("unchanged") == len(self.streams) + len(self.consumers)

    def count(self, action: Action) -> int:
        """How many streams and consumers the plan gives this action."""
        return sum(c.action == action for c in self.streams) + sum(c.action == action for c in self.consumers)


@dataclass(frozen=True, slots=True)
class Result:
    """What `apply` did to one stream or consumer."""

    kind: Literal["stream", "consumer"]
    name: str
    stream: str
    outcome: Outcome
    detail: str = ""


async def plan(
    js: JetStreamManager,
    streams: Mapping[str, StreamSpec] | Iterable[StreamSpec],
    consumers: Mapping[str, ConsumerSpec] | Iterable[ConsumerSpec],
    *,
    cluster_size: int | None = None,
) -> Plan:
    """Compare the server with the specs; reads only. `cluster_size` overrides what the server advertises."""
    stream_specs = _by_name(streams)
    consumer_specs = _by_name(consumers)
    cluster = _cluster(_server_info(js), cluster_size)
    server_streams = {info.config.name: info for info in await _read(_list_streams(js), "list the streams")}
    unmanaged_subjects = {
        name: tuple(info.config.subjects or ())
        for name, info in server_streams.items()
        if name and name not in stream_specs
    }
    stream_changes = tuple(
        _plan_stream(
            spec, server_streams.get(spec.name), _clamp(spec.num_replicas, cluster), unmanaged_subjects
        )
        for spec in stream_specs.values()
    )
    followed = {*stream_specs, *(c.stream for c in consumer_specs.values())}
    server_consumers = {
        name: await _read(_list_consumers(js, name), f"list the consumers of stream {name}")
        for name in sorted(followed)
        if name in server_streams
    }
    creatable = {c.name for c in stream_changes if c.action == "create"}
    consumer_changes = tuple(
        _plan_consumer(spec, server_consumers, creatable) for spec in consumer_specs.values()
    )
    unmanaged = (
        *(Unmanaged(name, None, subjects) for name, subjects in sorted(unmanaged_subjects.items())),
        *_unmanaged_consumers(server_consumers, stream_specs, consumer_specs),
    )
    return Plan(stream_changes, consumer_changes, unmanaged, cluster, _warnings(stream_changes, cluster))


def _by_name(specs: Mapping[str, T] | Iterable[T]) -> dict[str, T]:
    values = specs.values() if isinstance(specs, Mapping) else specs
    named: dict[str, T] = {}
    for spec in values:
        name = getattr(spec, "name", None)
        if not isinstance(name, str) or name in named:
            raise ValueError(f"specs need unique names; {name!r} is missing or repeated")
        named[name] = spec
    return named


def _server_info(js: JetStreamManager) -> Mapping[str, object]:
    """The INFO the server sent on connecting; nats-py keeps it only in a private attribute."""
    info = getattr(getattr(js, "_nc", None), "_server_info", None)
    return info if isinstance(info, Mapping) else {}


def _cluster(info: Mapping[str, object], override: int | None) -> ClusterSize:
    """Cluster size from the server INFO: no `cluster` means a single server holding one replica."""
    name = info.get("cluster")
    cluster_name = name if isinstance(name, str) and name else None
    if override is not None:
        if override < 1:
            raise ValueError(f"cluster_size must be at least 1, not {override}")
        return ClusterSize(
            override,
            clustered=override > 1,
            name=cluster_name,
            source=f"the caller gave a cluster size of {override}",
        )
    if cluster_name is None:
        return ClusterSize(
            1,
            clustered=False,
            name=None,
            source="a single server (its INFO names no cluster) holds 1 replica",
        )
    urls = info.get("connect_urls")
    if isinstance(urls, list) and urls:
        size = len(set(map(str, urls)))
        return ClusterSize(
            size,
            clustered=True,
            name=cluster_name,
            source=f"cluster {cluster_name} advertises {size} servers in its INFO",
        )
    return ClusterSize(
        None,
        clustered=True,
        name=cluster_name,
        source=f"cluster {cluster_name} does not advertise its servers",
    )


def _clamp(replicas: int, cluster: ClusterSize) -> int:
    return replicas if cluster.replicas is None else max(1, min(replicas, cluster.replicas))


def _warnings(streams: tuple[StreamChange, ...], cluster: ClusterSize) -> tuple[str, ...]:
    """One warning per clamping (grouped by the replicas asked for), and one when the size is unknown."""
    clamped: dict[tuple[int, int], list[str]] = {}
    for change in streams:
        if change.replicas != change.spec.num_replicas:
            clamped.setdefault((change.spec.num_replicas, change.replicas), []).append(change.name)
    warnings = [
        f"replicas clamped from {asked} to {got} ({cluster.source}) for {len(names)} stream(s): "
        + ", ".join(names)
        for (asked, got), names in clamped.items()
    ]
    if cluster.replicas is None:
        warnings.append(
            f"{cluster.source}: replicas are asked for as the specs say; apply lowers them if the cluster "
            "answers that it has too few servers"
        )
    return tuple(warnings)


async def _read(awaitable: Awaitable[T], what: str) -> T:
    try:
        return await awaitable
    except ServiceUnavailableError as exc:
        raise ProvisioningError(
            f"could not {what}: JetStream did not answer (is it enabled on this server and account?)"
        ) from exc
    except (NatsError, TimeoutError) as exc:
        raise ProvisioningError(f"could not {what}: {_describe(exc)}") from exc


async def _list_streams(js: JetStreamManager) -> list[api.StreamInfo]:
    infos: list[api.StreamInfo] = []
    while page := await js.streams_info(offset=len(infos)):
        infos.extend(page)
    return infos


async def _list_consumers(js: JetStreamManager, stream: str) -> dict[str, api.ConsumerConfig]:
    configs: dict[str, api.ConsumerConfig] = {}
    offset = 0
    while page := await js.consumers_info(stream, offset=offset):
        offset += len(page)
        configs.update((info.name, info.config) for info in page)
    return configs


# -- streams -----------------------------------------------------------------------------------------


def _plan_stream(
    spec: StreamSpec,
    info: api.StreamInfo | None,
    replicas: int,
    unmanaged: Mapping[str, tuple[str, ...]],
) -> StreamChange:
    overlaps = _overlap_conflicts(spec, unmanaged)
    if info is None:
        return StreamChange(spec, "conflict" if overlaps else "create", replicas, conflicts=overlaps)
    messages = info.state.messages if info.state is not None else 0
    differences = _differences(_stream_fields(spec, replicas), info.config)
    conflicts = (*overlaps, *_stream_conflicts(spec, differences, messages))
    action: Action = "conflict" if conflicts else "update" if differences else "unchanged"
    return StreamChange(spec, action, replicas, differences, conflicts, info.config, messages)


def _stream_fields(spec: StreamSpec, replicas: int) -> dict[str, object]:
    """The JetStream fields the spec sets, with the values the server should have."""
    fields: dict[str, object] = {
        "subjects": spec.subjects,
        "retention": spec.retention,
        "storage": spec.storage,
        "num_replicas": replicas,
        "max_msgs": spec.max_msgs,
        "max_bytes": spec.max_bytes,
        "max_age": spec.max_age,
        "max_msg_size": spec.max_msg_size,
        "max_msgs_per_subject": spec.max_msgs_per_subject,
        "discard": spec.discard,
        "deny_delete": spec.deny_delete,
    }
    if spec.allow_direct is not None:
        fields["allow_direct"] = spec.allow_direct
    if spec.duplicate_window is not None:
        fields["duplicate_window"] = spec.duplicate_window
    if spec.description is not None:
        fields["description"] = spec.description
    return fields


def _stream_conflicts(
    spec: StreamSpec, differences: tuple[Difference, ...], messages: int
) -> tuple[Conflict, ...]:
    by_field = {d.field: d for d in differences}
    recreate = (
        f"recreate the stream: copy its {messages} messages elsewhere first if they matter (for example "
        f"into a stream that sources from it), delete it (`nats stream rm {spec.name}`) and apply again; "
        "or change the spec back to the server's value"
    )
    conflicts: list[Conflict] = []
    if storage := by_field.get("storage"):
        conflicts.append(
            Conflict(
                "storage",
                f"the storage type can not be changed in place ({storage.server} on the server)",
                recreate,
            )
        )
    if retention := by_field.get("retention"):
        conflicts.extend(_retention_conflict(spec.name, retention, messages, recreate))
    if (deny := by_field.get("deny_delete")) and deny.server is True:
        conflicts.append(Conflict("deny_delete", "deny_delete can not be turned off once set", recreate))
    return tuple(conflicts)


def _retention_conflict(name: str, retention: Difference, messages: int, recreate: str) -> list[Conflict]:
    """Limits and interest are interchangeable on an empty stream; nothing else is safe in place."""
    if {retention.server, retention.contract} - _EDITABLE_RETENTION:
        return [Conflict("retention", "the retention can not be changed to or from workqueue", recreate)]
    if messages == 0:
        return []
    consequence = (
        "every message no consumer is still interested in would be dropped at once"
        if retention.contract == "interest"
        else "messages would no longer be removed once their consumers acknowledge them"
    )
    return [
        Conflict(
            "retention",
            f"the stream holds {messages} messages and changing its retention to {retention.contract} "
            f"changes what happens to them: {consequence}",
            f"let its consumers drain it or purge it (`nats stream purge {name}`) once its messages are no "
            f"longer needed, then apply again; or make the change yourself (`nats stream edit {name} "
            f"--retention {retention.contract}`) if you accept the consequence",
        )
    ]


def _overlap_conflicts(spec: StreamSpec, unmanaged: Mapping[str, tuple[str, ...]]) -> tuple[Conflict, ...]:
    conflicts = []
    for other, subjects in sorted(unmanaged.items()):
        pairs = [f"{a} / {b}" for a in spec.subjects for b in subjects if subjects_overlap(a, b)]
        if pairs:
            conflicts.append(
                Conflict(
                    "subjects",
                    f"its subjects overlap those of stream {other}, which the specs do not manage "
                    f"({', '.join(pairs)})",
                    f"move those subjects out of {other} (`nats stream edit {other} --subjects ...`) or "
                    f"delete {other} once its messages are no longer needed, then apply again",
                )
            )
    return tuple(conflicts)


def subjects_overlap(a: str, b: str) -> bool:
    """True when some subject matches both patterns (`*` is one token, a final `>` one or more)."""
    left, right = a.split("."), b.split(".")
    for x, y in zip(left, right, strict=False):
        if ">" in (x, y):
            return True
        if x != y and "*" not in (x, y):
            return False
    return len(left) == len(right)


# -- consumers ---------------------------------------------------------------------------------------


def _plan_consumer(
    spec: ConsumerSpec,
    server: Mapping[str, Mapping[str, api.ConsumerConfig]],
    creatable_streams: set[str],
) -> ConsumerChange:
    if spec.stream not in server:
        if spec.stream in creatable_streams:
            return ConsumerChange(spec, "create")
        reason = f"its stream {spec.stream} is not on the server and will not be created"
        remedy = "resolve the stream's conflict, or provision the stream together with its consumers"
        return ConsumerChange(spec, "conflict", conflicts=(Conflict("stream", reason, remedy),))
    current = server[spec.stream].get(spec.name)
    if current is None:
        return ConsumerChange(spec, "create")
    differences = _differences(_consumer_fields(spec), current)
    conflicts = _consumer_conflicts(spec, differences, current)
    action: Action = "conflict" if conflicts else "update" if differences else "unchanged"
    return ConsumerChange(spec, action, differences, conflicts, current)


def _consumer_fields(spec: ConsumerSpec) -> dict[str, object]:
    """The fields the spec sets; ack_wait is backoff[0] when there is a backoff, as the server makes it."""
    fields: dict[str, object] = {
        "filter_subjects": spec.filter_subjects,
        "deliver_policy": spec.deliver_policy,
        "ack_policy": spec.ack_policy,
        "max_deliver": spec.max_deliver,
        "backoff": spec.backoff,
    }
    ack_wait = spec.backoff[0] if spec.backoff else spec.ack_wait
    if ack_wait is not None:
        fields["ack_wait"] = ack_wait
    if spec.max_ack_pending is not None:
        fields["max_ack_pending"] = spec.max_ack_pending
    if spec.description is not None:
        fields["description"] = spec.description
    return fields


def _consumer_conflicts(
    spec: ConsumerSpec, differences: tuple[Difference, ...], current: api.ConsumerConfig
) -> tuple[Conflict, ...]:
    remedy = (
        "recreate it (apply with allow_conflicts): it loses its position and starts again from its "
        f"deliver policy ({spec.deliver_policy}), so stop the services reading it first; or change the "
        "spec back to the server's value"
    )
    conflicts = [
        Conflict(d.field, f"{d.field} of a consumer can not be changed in place", remedy)
        for d in differences
        if d.field in {"deliver_policy", "ack_policy"}
    ]
    if current.deliver_subject:
        reason = f"it is a push consumer on the server (deliver subject {current.deliver_subject}), not pull"
        conflicts.append(Conflict("deliver_subject", reason, remedy))
    return tuple(conflicts)


def _unmanaged_consumers(
    server: Mapping[str, Mapping[str, api.ConsumerConfig]],
    streams: Mapping[str, StreamSpec],
    consumers: Mapping[str, ConsumerSpec],
) -> list[Unmanaged]:
    """Durable consumers of provisioned streams that no spec describes (ephemeral ones come and go)."""
    known = {(c.stream, c.name) for c in consumers.values()}
    return [
        Unmanaged(stream, name, tuple(_filters(config)))
        for stream in sorted(server)
        if stream in streams
        for name, config in sorted(server[stream].items())
        if config.durable_name and (stream, name) not in known
    ]


# -- comparing ---------------------------------------------------------------------------------------


def _differences(wanted: Mapping[str, object], current: object) -> tuple[Difference, ...]:
    return tuple(
        Difference(field, have, want)
        for field, want in wanted.items()
        if not _same(field, have := _server_value(current, field), want)
    )


def _server_value(config: object, field: str) -> object:
    if field == "filter_subjects" and isinstance(config, api.ConsumerConfig):
        return tuple(_filters(config))
    value = _plain(getattr(config, field, None))
    if field == "backoff" and value is None:
        return ()
    return value


def _filters(config: api.ConsumerConfig) -> list[str]:
    if config.filter_subjects:
        return list(config.filter_subjects)
    return [config.filter_subject] if config.filter_subject else []


def _plain(value: object) -> object:
    """Enums as their values, lists as tuples: how the specs write them."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return tuple(_plain(v) for v in value)
    return value


def _same(field: str, server: object, contract: object) -> bool:
    if field in {"subjects", "filter_subjects"} and isinstance(server, tuple) and isinstance(contract, tuple):
        return sorted(server) == sorted(contract)
    if field in DURATION_FIELDS:
        return _nanoseconds(server) == _nanoseconds(contract)
    return server == contract


def _nanoseconds(value: object) -> object:
    """Durations as whole nanoseconds, which is what the server keeps (None stays None)."""
    if isinstance(value, tuple):
        return tuple(_nanoseconds(v) for v in value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(value * _NS)
    return value


# -- applying ----------------------------------------------------------------------------------------


async def apply(js: JetStreamManager, plan: Plan, *, allow_conflicts: bool = False) -> list[Result]:
    """Carry out a plan: streams first (updates before creates, so moved subjects are free), then consumers.

    Raises ProvisioningError when the server refuses a change; what was applied before stays, and applying
    again after fixing the cause carries on from there.
    """
    results: list[Result] = []
    ordered = sorted(plan.streams, key=lambda c: c.action != "update")
    for stream in ordered:
        results.append(
            await _guard(_apply_stream(js, stream, allow_conflicts), "stream", stream.name, results)
        )
    for consumer in plan.consumers:
        what = f"{consumer.name} on stream {consumer.stream}"
        results.append(
            await _guard(_apply_consumer(js, consumer, allow_conflicts), "consumer", what, results)
        )
    return results


async def _guard(step: Awaitable[Result], kind: str, name: str, done: list[Result]) -> Result:
    try:
        return await step
    except (NatsError, TimeoutError) as exc:
        applied = sum(r.outcome in {"created", "updated", "recreated"} for r in done)
        raise ProvisioningError(
            f"could not provision {kind} {name}: {_describe(exc)}. {applied} change(s) were applied before "
            "this one and stay; apply is idempotent, so run it again once the cause is fixed"
        ) from exc


async def _apply_stream(js: JetStreamManager, change: StreamChange, allow_conflicts: bool) -> Result:
    def result(outcome: Outcome, detail: str = "") -> Result:
        return Result("stream", change.name, change.name, outcome, detail)

    if change.action == "unchanged":
        return result("unchanged")
    if change.action == "conflict":
        refused = "streams are never recreated by apply; " if allow_conflicts else ""
        return result("skipped", refused + _explain(change.conflicts))
    if change.action == "create":
        got = await _with_fewer_replicas(
            change.replicas, lambda n: js.add_stream(stream_config(change.spec, replicas=n))
        )
        return result("created", _lowered(change.replicas, got))
    if change.current is None:
        raise ValueError(f"stream change {change.name!r} is an update without the server's configuration")
    current = change.current
    target = stream_config(change.spec, replicas=change.replicas)
    fields = {d.field for d in change.differences}

    def update(replicas: int) -> Awaitable[api.StreamInfo]:
        overlay = {f: getattr(target, f) for f in fields} | {"num_replicas": replicas}
        return js.update_stream(replace(current, **overlay))

    got = await _with_fewer_replicas(change.replicas, update)
    return result(
        "updated", "; ".join(filter(None, [_summary(change.differences), _lowered(change.replicas, got)]))
    )


async def _with_fewer_replicas(replicas: int, attempt: Callable[[int], Awaitable[api.StreamInfo]]) -> int:
    """Try `replicas`, then fewer while the server says it has too few peers; returns what it took."""
    while True:
        try:
            await attempt(replicas)
        except APIError as exc:
            if replicas <= 1 or exc.err_code not in _TOO_FEW_PEERS:
                raise
            replicas = 1 if exc.err_code == _NOT_CLUSTERED else replicas - 1
        else:
            return replicas


def _lowered(asked: int, got: int) -> str:
    return f"replicas lowered from {asked} to {got}: the server has too few peers" if got != asked else ""


async def _apply_consumer(js: JetStreamManager, change: ConsumerChange, allow_conflicts: bool) -> Result:
    def result(outcome: Outcome, detail: str = "") -> Result:
        return Result("consumer", change.name, change.stream, outcome, detail)

    if change.action == "unchanged":
        return result("unchanged")
    if change.action == "create":
        await js.add_consumer(change.stream, consumer_config(change.spec))
        return result("created")
    if change.action == "update":
        if change.current is None:
            raise ValueError(
                f"consumer change {change.name!r} is an update without the server's configuration"
            )
        await js.add_consumer(
            change.stream, _consumer_overlay(change.spec, change.current, change.differences)
        )
        return result("updated", _summary(change.differences))
    if not allow_conflicts or change.current is None:
        return result("skipped", _explain(change.conflicts))
    await js.delete_consumer(change.stream, change.name)
    await js.add_consumer(change.stream, consumer_config(change.spec))
    return result("recreated", "deleted and created again: " + _summary(change.differences))


def _consumer_overlay(
    spec: ConsumerSpec, current: api.ConsumerConfig, differences: tuple[Difference, ...]
) -> api.ConsumerConfig:
    """The server's configuration with the differing fields set as the spec says (the same durable)."""
    target = consumer_config(spec)
    overlay: dict[str, Any] = {}
    for difference in differences:
        if difference.field == "filter_subjects":
            overlay |= {"filter_subject": target.filter_subject, "filter_subjects": target.filter_subjects}
        else:
            overlay[difference.field] = getattr(target, difference.field)
    return replace(current, **overlay)


def _summary(differences: tuple[Difference, ...]) -> str:
    return "; ".join(f"{d.field}: {d.server!r} -> {d.contract!r}" for d in differences)


def _explain(conflicts: tuple[Conflict, ...]) -> str:
    return "; ".join(f"{c.reason} ({c.remedy})" for c in conflicts)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, APIError):
        return f"the server said {exc.description!r} (error {exc.err_code})"
    if isinstance(exc, TimeoutError):
        return "the server did not answer in time"
    return f"{type(exc).__name__}: {exc}"
