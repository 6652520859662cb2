"""What a change is: a rule broken in some directions, graded by the compatibility mode in force.

Every comparison first says *who could no longer read what* and only then how much that
matters, so that the same finding (a required property added) is breaking on a `full` channel,
a warning on a `forward` one, and breaking in an HTTP request but harmless in a response:

- BACKWARD: the new reader reads what the old writer wrote — new consumers replaying the events
  already stored (they stay in JetStream for days to a year), a new server reading requests of
  old clients;
- FORWARD: the old reader reads what the new writer writes — consumers not yet redeployed
  reading new events, old clients reading responses of the new server.

A `Mode` names the directions that must hold. Breaking a direction the mode does not check is
a warning on a channel (someone may still rely on it) and compatible in HTTP (nobody reads a
request but the server, nor a response but the client).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from codegen.loader.location import Location

__all__ = [
    "BACKWARD",
    "BOTH",
    "FORWARD",
    "MODES",
    "NEITHER",
    "REQUEST",
    "RESPONSE",
    "STRICT",
    "Change",
    "Direction",
    "Mode",
    "Rule",
    "Severity",
    "grade",
]


class Direction(StrEnum):
    """Who reads whom; see the module docstring."""

    BACKWARD = "backward"
    FORWARD = "forward"


class Severity(StrEnum):
    """How a change is reported; only `breaking` fails `a4co codegen diff`."""

    BREAKING = "breaking"
    WARNING = "warning"
    COMPATIBLE = "compatible"

    @property
    def rank(self) -> int:
        """0 for the most severe, for sorting."""
        return list(Severity).index(self)


BACKWARD = frozenset({Direction.BACKWARD})
FORWARD = frozenset({Direction.FORWARD})
BOTH = frozenset(Direction)
NEITHER: frozenset[Direction] = frozenset()


@dataclass(frozen=True, slots=True)
class Rule:
    """One kind of change: the directions it breaks and, when it breaks none, whether to warn."""

    id: str
    breaks: frozenset[Direction]
    summary: str
    #: reported as a warning even though no generated reader rejects anything (e.g. a removed
    #: optional property whose name must not be reused)
    advisory: bool = False


@dataclass(frozen=True, slots=True)
class Mode:
    """The directions a part of the contract promises, and how to rate breaking the others."""

    name: str
    checked: frozenset[Direction]
    unchecked: Severity


#: Channel modes (`x-a4co-compatibility`); full is the default of every channel.
MODES = {
    "full": Mode("full", BOTH, Severity.WARNING),
    "backward": Mode("backward", BACKWARD, Severity.WARNING),
    "forward": Mode("forward", FORWARD, Severity.WARNING),
    "none": Mode("none", NEITHER, Severity.WARNING),
}
#: Everything that is not a message: streams, whole channels, HTTP operations.
STRICT = MODES["full"]
#: HTTP requests are read only by the server, which is deployed first: backward.
REQUEST = Mode("request", BACKWARD, Severity.COMPATIBLE)
#: HTTP responses are read only by clients, some still old: forward.
RESPONSE = Mode("response", FORWARD, Severity.COMPATIBLE)


def grade(rule: Rule, mode: Mode) -> Severity:
    """The severity of breaking `rule` where `mode` applies."""
    if rule.breaks & mode.checked:
        return Severity.BREAKING
    if rule.breaks:
        return mode.unchecked
    return Severity.WARNING if rule.advisory else Severity.COMPATIBLE


@dataclass(frozen=True, slots=True)
class Change:
    """One reported difference between the old and the new contracts."""

    rule: Rule
    severity: Severity
    mode: Mode
    #: where to look: in the new contracts, or in the old ones for what the new ones lack
    location: Location
    side: Literal["old", "new"]
    #: what changed, in one line: "channel order.created.v1, message OrderCreated, payload"
    subject: str
    message: str

    def to_json(self) -> dict[str, object]:
        """The change as `--format json` prints it."""
        return {
            "rule": self.rule.id,
            "severity": str(self.severity),
            "breaks": sorted(str(d) for d in self.rule.breaks),
            "mode": self.mode.name,
            "side": self.side,
            "file": self.location.file,
            "pointer": self.location.pointer,
            "subject": self.subject,
            "message": self.message,
        }
