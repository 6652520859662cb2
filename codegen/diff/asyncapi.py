"""The AsyncAPI documents compared: channels by address, messages by channel and name.

Each message's payload and headers are compared as schemas and graded by the channel's
`x-a4co-compatibility` (full by default): a change is breaking when it breaks a direction the
mode promises. Whole channels are graded strictly, whatever their mode: removing one that is not
deprecated strands the consumers and the events stored for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from codegen.diff import rules
from codegen.diff.change import MODES, STRICT, Change, Mode, Rule, Severity, grade
from codegen.diff.jetstream import retention_of
from codegen.diff.schema import SchemaComparison, grouped
from codegen.diff.schema_view import Slot
from codegen.diff.versions import next_version_advice, split_version
from codegen.model.asyncapi import AsyncAPIModel, Channel, Message

if TYPE_CHECKING:
    from collections.abc import Iterator

    from codegen.loader import ContractSet, Location

__all__ = ["compare_channels"]

_PARTS = ("payload", "headers")


def compare_channels(
    old: ContractSet, new: ContractSet, old_model: AsyncAPIModel, new_model: AsyncAPIModel
) -> list[Change]:
    """Every change to the channels and messages of the AsyncAPI document."""
    return list(_ChannelDiff(old, new, old_model, new_model).run())


class _ChannelDiff:
    def __init__(
        self, old: ContractSet, new: ContractSet, old_model: AsyncAPIModel, new_model: AsyncAPIModel
    ) -> None:
        self.old, self.new = old, new
        self.old_model, self.new_model = old_model, new_model
        self.schemas = SchemaComparison(old.resolver, new.resolver)
        self.old_channels = _by_address(old_model)
        self.new_channels = _by_address(new_model)

    def run(self) -> Iterator[Change]:
        for address, channel in self.old_channels.items():
            if address in self.new_channels:
                yield from self._channel(channel, self.new_channels[address])
            else:
                yield self._removed(channel)
        for address, channel in self.new_channels.items():
            if address not in self.old_channels:
                yield from self._added(channel)

    # -- whole channels ------------------------------------------------------------------------

    def _removed(self, channel: Channel) -> Change:
        address = channel.address or channel.key
        kept = retention_of(self.old_model, channel)
        successors = self._successors(address)
        if self._deprecated(self.old_model, channel):
            message = (
                f"deprecated channel {address} removed; {kept}: a replay will still meet them, and a "
                "reader without the model dead-letters them"
            )
            return _change(
                rules.DEPRECATED_CHANNEL_REMOVED, STRICT, channel.location, "old", address, message
            )
        beside = (
            f"{', '.join(successors)} exists: keep {address} beside it" if successors else f"keep {address}"
        )
        message = (
            f"channel {address} removed while its operations are not deprecated; {kept}. {beside}, mark "
            "its operations deprecated: true, and remove it only once nobody reads it and its events "
            "have expired"
        )
        return _change(rules.CHANNEL_REMOVED, STRICT, channel.location, "old", address, message)

    def _added(self, channel: Channel) -> Iterator[Change]:
        address = channel.address or channel.key
        base, number = split_version(address)
        previous = [
            other
            for other in self.old_channels
            if number is not None and (found := split_version(other))[0] == base and (found[1] or 0) < number
        ]
        if not previous:
            message = f"channel {address} added"
            yield _change(rules.CHANNEL_ADDED, STRICT, channel.location, "new", address, message)
            return
        message = f"channel {address} added beside {', '.join(sorted(previous))}"
        yield _change(rules.CHANNEL_VERSION_ADDED, STRICT, channel.location, "new", address, message)
        for older in sorted(previous):
            kept = self.new_channels.get(older)
            if kept is not None and not self._deprecated(self.new_model, kept):
                message = (
                    f"{address} supersedes {older}: mark {older}'s operations deprecated: true so that "
                    "its consumers move to the new version"
                )
                yield _change(
                    rules.PREVIOUS_VERSION_NOT_DEPRECATED, STRICT, kept.location, "new", older, message
                )

    def _successors(self, address: str) -> list[str]:
        base, number = split_version(address)
        return sorted(
            other
            for other in self.new_channels
            if number is not None and (found := split_version(other))[0] == base and (found[1] or 0) > number
        )

    @staticmethod
    def _deprecated(model: AsyncAPIModel, channel: Channel) -> bool:
        operations = model.operations_on(channel.location)
        return bool(operations) and all(op.deprecated for op in operations)

    # -- messages ------------------------------------------------------------------------------

    def _channel(self, old: Channel, new: Channel) -> Iterator[Change]:
        address = new.address or new.key
        mode, mode_change = self._mode(old, new)
        if mode_change is not None:
            yield mode_change
        old_messages = _messages(self.old_model, old)
        new_messages = _messages(self.new_model, new)
        for name, message in old_messages.items():
            subject = f"{address} {name}"
            if name not in new_messages:
                text = f"message {name} removed from {address}: consumers replaying stored {name} events fail"
                yield self._graded(
                    rules.MESSAGE_REMOVED, mode, message.location, "old", subject, text, address
                )
                continue
            yield from self._message(message, new_messages[name], mode, address, subject)
        for name, message in new_messages.items():
            if name not in old_messages:
                text = f"message {name} added to {address}: consumers not yet redeployed cannot read it"
                subject = f"{address} {name}"
                yield self._graded(rules.MESSAGE_ADDED, mode, message.location, "new", subject, text, address)

    def _mode(self, old: Channel, new: Channel) -> tuple[Mode, Change | None]:
        before = _mode_name(self.old, old)
        after = _mode_name(self.new, new)
        mode = MODES.get(after, MODES["full"])
        if before == after:
            return mode, None
        at = new.location.child("x-a4co-compatibility")
        text = f"x-a4co-compatibility {before} -> {after}"
        return mode, _change(
            rules.COMPATIBILITY_MODE_CHANGED, STRICT, at, "new", new.address or new.key, text
        )

    def _message(
        self, old: Message, new: Message, mode: Mode, address: str, subject: str
    ) -> Iterator[Change]:
        before = _content_type(self.old, old)
        after = _content_type(self.new, new)
        if before != after:
            text = f"content type {before} -> {after}"
            at = new.location.child("contentType")
            yield self._graded(rules.CONTENT_TYPE_CHANGED, mode, at, "new", subject, text, address)
        for part in _PARTS:
            old_slot = _part(self.old, old, part)
            new_slot = _part(self.new, new, part)
            findings = self.schemas.compare(old_slot, new_slot)
            for finding, paths in grouped(findings):
                where = f"{part} at {paths}" if paths else part
                text = f"{where}: {finding.detail}"
                yield self._graded(finding.rule, mode, finding.location, finding.side, subject, text, address)

    @staticmethod
    def _graded(
        rule: Rule,
        mode: Mode,
        at: Location,
        side: Literal["old", "new"],
        subject: str,
        text: str,
        address: str,
    ) -> Change:
        severity = grade(rule, mode)
        directions = "/".join(sorted(rule.breaks))
        if severity is Severity.BREAKING:
            text = f"{text}. Breaks {directions} compatibility: {next_version_advice(address)}"
        elif rule.breaks and severity is Severity.WARNING:
            text = f"{text} (would break {directions}; the channel's mode is {mode.name})"
        return Change(rule, severity, mode, at, side, subject, text)


def _change(
    rule: Rule, mode: Mode, at: Location, side: Literal["old", "new"], subject: str, text: str
) -> Change:
    return Change(rule, grade(rule, mode), mode, at, side, subject, text)


def _by_address(model: AsyncAPIModel) -> dict[str, Channel]:
    return {channel.address or channel.key: channel for channel in model.channels.values()}


def _messages(model: AsyncAPIModel, channel: Channel) -> dict[str, Message]:
    found = (model.messages.get(location) for location in channel.messages)
    return {message.name: message for message in found if message is not None}


def _mode_name(contracts: ContractSet, channel: Channel) -> str:
    content = contracts.node(channel.location)
    mode = content.get("x-a4co-compatibility") if isinstance(content, dict) else None
    return mode if isinstance(mode, str) and mode in MODES else "full"


def _content_type(contracts: ContractSet, message: Message) -> str:
    written = message.effective.get("contentType")
    if isinstance(written, str):
        return written
    default = contracts.asyncapi.content.get("defaultContentType")
    return default if isinstance(default, str) else "application/json"


def _part(contracts: ContractSet, message: Message, part: str) -> Slot:
    """Where `payload` or `headers` of a message is written: the message, else its last trait."""
    if part in message.content:
        return Slot(message.content[part], message.location.child(part))
    for trait in reversed(message.traits):
        node: Any = contracts.node(trait)
        if isinstance(node, dict) and part in node:
            return Slot(node[part], trait.child(part))
    # no headers: any object (readers of the other version see nothing they must have)
    return Slot({"type": "object"}, message.location.child(part))
