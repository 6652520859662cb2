"""The one exception family of the local stack.

DevStackError                 anything the stack cannot do, said so a person can act on it
└── ServerStartError          a server exited or never answered while starting; carries its log tail
"""

from pathlib import Path


class DevStackError(Exception):
    """The local stack could not do what it was asked; the message says why and what to do."""


class ServerStartError(DevStackError):
    """A server process exited or never became ready; the message ends with the tail of its log."""

    def __init__(self, message: str, *, server: str, log_file: Path, log_tail: str) -> None:
        self.server = server
        self.log_file = log_file
        self.log_tail = log_tail
        tail = "\n".join(f"  | {line}" for line in log_tail.splitlines()) or "  | (the log is empty)"
        super().__init__(f"{message}\nlast lines of {log_file}:\n{tail}")
