"""Major versions of channels, and the one sanctioned way to break a message.

Events stay in JetStream for days to a year and are replayed, so a message that changes
incompatibly cannot change in place: readers of the new shape would meet the stored old ones.
It goes on a new channel `….vN+1` published beside `….vN`, whose operations are marked
`deprecated: true` until nobody reads them and the stored events have expired. Every breaking
finding on a message says so with the actual names.
"""

from __future__ import annotations

import re

__all__ = ["next_version_advice", "split_version"]

_VERSION = re.compile(r"^(?P<base>.+)\.v(?P<number>[1-9][0-9]*)$")


def split_version(address: str) -> tuple[str, int | None]:
    """`order.created.v1` -> (`order.created`, 1); an address without `.vN` has no version."""
    found = _VERSION.match(address)
    if found is None:
        return address, None
    return found["base"], int(found["number"])


def next_version_advice(address: str) -> str:
    """What to do instead of breaking the message on `address`."""
    base, number = split_version(address)
    if number is None:
        return (
            f"channel {address} has no major version (.vN): publish the new shape on a new channel "
            f"beside it and mark {address}'s operations deprecated"
        )
    successor = f"{base}.v{number + 1}"
    return (
        f"publish it on {successor} beside {address} and mark v{number}'s operations deprecated "
        f"(deprecated: true) until nobody reads {address} and its stored events have expired"
    )
