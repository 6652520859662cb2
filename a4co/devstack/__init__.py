"""The local stack: nats-server with JetStream and redis-server on free loopback ports, supervised.

Used by `a4co stack up` (and so `make run`) and by the test fixtures in tests/conftest.py.
"""

from a4co.devstack.errors import DevStackError, ServerStartError
from a4co.devstack.nats import SYNC_DURABLE, SYNC_ENV, SYNC_FAST, NatsServer, resolve_sync
from a4co.devstack.ports import free_port, port_is_free
from a4co.devstack.process import ManagedProcess, reap_orphan
from a4co.devstack.redis import RedisServer
from a4co.devstack.server import LocalServer
from a4co.devstack.stack import RunLayout, Stack

__all__ = [
    "SYNC_DURABLE",
    "SYNC_ENV",
    "SYNC_FAST",
    "DevStackError",
    "LocalServer",
    "ManagedProcess",
    "NatsServer",
    "RedisServer",
    "RunLayout",
    "ServerStartError",
    "Stack",
    "free_port",
    "port_is_free",
    "reap_orphan",
    "resolve_sync",
]
