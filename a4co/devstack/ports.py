"""Free loopback ports.

Strategy: ask the kernel for a free port (bind to port 0, read it, close), remember every port handed
out in this process so two stacks started side by side never get the same one, and let the server
start retry with new ports when it still loses the race to another process (see `LocalServer`).
"""

import socket
import threading

LOOPBACK = "127.0.0.1"

_handed_out: set[int] = set()
_lock = threading.Lock()


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port on `host` that nobody listens on now and that this process has not handed out before."""
    with _lock:
        while True:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.bind((host, 0))
                port: int = probe.getsockname()[1]
            if port not in _handed_out:
                _handed_out.add(port)
                return port


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """Whether a listening socket could be bound to `host:port` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True
