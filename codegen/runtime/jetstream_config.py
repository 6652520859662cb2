"""Contract specs -> nats-py JetStream API configurations."""

from nats.js import api

from .specs import ConsumerSpec, StreamSpec

__all__ = ["consumer_config", "stream_config"]


def stream_config(spec: StreamSpec, *, replicas: int | None = None) -> api.StreamConfig:
    """The JetStream configuration of a stream; `replicas` overrides the contract's (clamping)."""
    return api.StreamConfig(
        name=spec.name,
        description=spec.description,
        subjects=list(spec.subjects),
        retention=api.RetentionPolicy(spec.retention),
        storage=api.StorageType(spec.storage),
        num_replicas=replicas if replicas is not None else spec.num_replicas,
        max_msgs=spec.max_msgs,
        max_bytes=spec.max_bytes,
        max_age=spec.max_age,
        max_msg_size=spec.max_msg_size,
        max_msgs_per_subject=spec.max_msgs_per_subject,
        duplicate_window=spec.duplicate_window if spec.duplicate_window is not None else 0,
        discard=api.DiscardPolicy(spec.discard),
        deny_delete=spec.deny_delete,
        allow_direct=spec.allow_direct,
    )


def consumer_config(spec: ConsumerSpec) -> api.ConsumerConfig:
    """The JetStream configuration of a durable pull consumer."""
    filters = list(spec.filter_subjects)
    return api.ConsumerConfig(
        name=spec.name,
        durable_name=spec.name,
        description=spec.description,
        deliver_policy=api.DeliverPolicy(spec.deliver_policy),
        ack_policy=api.AckPolicy(spec.ack_policy),
        # nats-server replaces ack_wait by backoff[0] when a backoff is set; say so explicitly.
        ack_wait=spec.backoff[0] if spec.backoff else spec.ack_wait,
        max_deliver=spec.max_deliver,
        backoff=list(spec.backoff) or None,
        max_ack_pending=spec.max_ack_pending,
        filter_subject=filters[0] if len(filters) == 1 else None,
        filter_subjects=filters if len(filters) > 1 else None,
    )
