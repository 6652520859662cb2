"""The OpenAPI documents compared, service by service, operation by operation.

HTTP has one reader per direction: a request is read by the server, which is deployed before
the clients that need it, so requests must stay backward compatible (the new server reads old
clients); a response is read by clients, some of them old, so responses must stay forward
compatible (old clients read the new server). The schema rules are the events' ones, graded with
those two modes. Paths match with their parameters' names ignored (`/orders/{id}` is
`/orders/{orderId}`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from codegen.diff import rules
from codegen.diff.change import REQUEST, RESPONSE, STRICT, Change, Mode, Rule, grade
from codegen.diff.schema import SchemaComparison, grouped
from codegen.diff.schema_view import Slot
from codegen.errors import ContractError
from codegen.model.openapi import HTTP_METHODS

if TYPE_CHECKING:
    from collections.abc import Iterator

    from codegen.loader import ContractSet, Document, Location, Resolver

__all__ = ["compare_openapi"]

_PARAMETER = re.compile(r"\{[^}]*\}")

#: A resolved OpenAPI object and where it is written.
_Node = tuple[dict[str, Any], "Location"]


def compare_openapi(old: ContractSet, new: ContractSet) -> list[Change]:
    """Every change to the HTTP operations of every service."""
    return list(_OpenApiDiff(old, new).run())


class _OpenApiDiff:
    def __init__(self, old: ContractSet, new: ContractSet) -> None:
        self.old, self.new = old, new
        self.schemas = SchemaComparison(old.resolver, new.resolver)

    def run(self) -> Iterator[Change]:
        for service in sorted({*self.old.openapi, *self.new.openapi}):
            before = _paths(self.old.resolver, self.old.openapi.get(service))
            after = _paths(self.new.resolver, self.new.openapi.get(service))
            for key, (path, item) in before.items():
                if key in after:
                    yield from self._path(service, path, item, after[key][0], after[key][1])
                else:
                    yield from self._path_removed(service, path, item)
            for key, (path, item) in after.items():
                if key not in before:
                    for method, (_, at) in _operations(item).items():
                        text = f"{method.upper()} {path} added"
                        yield _change(rules.OPERATION_ADDED, STRICT, at, "new", f"{service} {path}", text)

    def _path_removed(self, service: str, path: str, item: _Node) -> Iterator[Change]:
        operations = _operations(item)
        subject = f"{service} {path}"
        if operations and all(op.get("deprecated") is True for op, _ in operations.values()):
            for method, (_, at) in operations.items():
                text = f"deprecated {method.upper()} {path} removed"
                yield _change(rules.DEPRECATED_OPERATION_REMOVED, STRICT, at, "old", subject, text)
            return
        methods = ", ".join(m.upper() for m in operations) or "no operations"
        text = f"path {path} ({methods}) removed: old clients still call it"
        yield _change(rules.PATH_REMOVED, STRICT, item[1], "old", subject, text)

    def _path(
        self, service: str, old_path: str, old_item: _Node, path: str, new_item: _Node
    ) -> Iterator[Change]:
        before, after = _operations(old_item), _operations(new_item)
        for method, (operation, at) in before.items():
            subject = f"{service} {method.upper()} {path}"
            if method not in after:
                deprecated = operation.get("deprecated") is True
                rule = rules.DEPRECATED_OPERATION_REMOVED if deprecated else rules.OPERATION_REMOVED
                text = f"{method.upper()} {old_path} removed" + (
                    "" if deprecated else ": old clients still call it"
                )
                yield _change(rule, STRICT, at, "old", subject, text)
                continue
            new_operation, new_at = after[method]
            yield from self._parameters(
                _parameters(self.old.resolver, old_path, old_item, (operation, at)),
                _parameters(self.new.resolver, path, new_item, (new_operation, new_at)),
                subject,
            )
            yield from self._request_body((operation, at), (new_operation, new_at), subject)
            yield from self._responses((operation, at), (new_operation, new_at), subject)
        for method, (_, at) in after.items():
            if method not in before:
                text = f"{method.upper()} {path} added"
                yield _change(
                    rules.OPERATION_ADDED, STRICT, at, "new", f"{service} {method.upper()} {path}", text
                )

    # -- requests ------------------------------------------------------------------------------

    def _parameters(
        self, before: dict[tuple[str, str], _Node], after: dict[tuple[str, str], _Node], subject: str
    ) -> Iterator[Change]:
        for key, (parameter, at) in before.items():
            label = f"{key[0]} parameter {after.get(key, (parameter, at))[0].get('name')}"
            if key not in after:
                text = f"{label} removed: old clients still send it"
                yield _change(rules.PARAMETER_REMOVED, REQUEST, at, "old", subject, text)
                continue
            new_parameter, new_at = after[key]
            was, now = parameter.get("required") is True, new_parameter.get("required") is True
            if now and not was:
                yield _change(
                    rules.PARAMETER_BECAME_REQUIRED,
                    REQUEST,
                    new_at,
                    "new",
                    subject,
                    f"{label} became required",
                )
            elif was and not now:
                yield _change(
                    rules.PARAMETER_BECAME_OPTIONAL,
                    REQUEST,
                    new_at,
                    "new",
                    subject,
                    f"{label} became optional",
                )
            yield from self._schema(
                Slot(parameter.get("schema", {}), at.child("schema")),
                Slot(new_parameter.get("schema", {}), new_at.child("schema")),
                REQUEST,
                subject,
                label,
            )
        for key, (parameter, at) in after.items():
            if key not in before:
                label = f"{key[0]} parameter {parameter.get('name')}"
                if parameter.get("required") is True:
                    text = f"required {label} added: old clients do not send it"
                    yield _change(rules.PARAMETER_ADDED_REQUIRED, REQUEST, at, "new", subject, text)
                else:
                    yield _change(
                        rules.PARAMETER_ADDED_OPTIONAL, REQUEST, at, "new", subject, f"optional {label} added"
                    )

    def _request_body(self, old: _Node, new: _Node, subject: str) -> Iterator[Change]:
        before = _resolved(self.old.resolver, old, "requestBody")
        after = _resolved(self.new.resolver, new, "requestBody")
        if before is None:
            if after is not None:
                required = after[0].get("required") is True
                rule = rules.REQUEST_BODY_ADDED_REQUIRED if required else rules.REQUEST_BODY_ADDED_OPTIONAL
                text = f"{'required' if required else 'optional'} request body added"
                yield _change(rule, REQUEST, after[1], "new", subject, text)
            return
        if after is None:
            for media_type, (_, at) in _content(before).items():
                text = f"request body {media_type} removed: old clients still send it"
                yield _change(rules.REQUEST_CONTENT_TYPE_REMOVED, REQUEST, at, "old", subject, text)
            return
        was, now = before[0].get("required") is True, after[0].get("required") is True
        if now and not was:
            text = "request body became required"
            yield _change(rules.REQUEST_BODY_BECAME_REQUIRED, REQUEST, after[1], "new", subject, text)
        elif was and not now:
            text = "request body became optional"
            yield _change(rules.REQUEST_BODY_BECAME_OPTIONAL, REQUEST, after[1], "new", subject, text)
        yield from self._contents(before, after, REQUEST, subject, "request body")

    # -- responses -----------------------------------------------------------------------------

    def _responses(self, old: _Node, new: _Node, subject: str) -> Iterator[Change]:
        before = _responses(self.old.resolver, old)
        after = _responses(self.new.resolver, new)
        for status, response in before.items():
            if status not in after:
                text = f"response {status} removed: old clients handle it"
                yield _change(rules.RESPONSE_STATUS_REMOVED, RESPONSE, response[1], "old", subject, text)
                continue
            yield from self._contents(response, after[status], RESPONSE, subject, f"response {status}")
        for status, response in after.items():
            if status in before:
                continue
            if status.startswith("2"):
                text = (
                    f"success response {status} added: old generated clients reject an undocumented success"
                )
                yield _change(
                    rules.RESPONSE_SUCCESS_STATUS_ADDED, RESPONSE, response[1], "new", subject, text
                )
            else:
                text = f"response {status} added"
                yield _change(rules.RESPONSE_STATUS_ADDED, RESPONSE, response[1], "new", subject, text)

    # -- bodies and schemas --------------------------------------------------------------------

    def _contents(self, before: _Node, after: _Node, mode: Mode, subject: str, what: str) -> Iterator[Change]:
        old_content, new_content = _content(before), _content(after)
        request = mode is REQUEST
        for media_type, (media, at) in old_content.items():
            if media_type not in new_content:
                rule = rules.REQUEST_CONTENT_TYPE_REMOVED if request else rules.RESPONSE_CONTENT_TYPE_REMOVED
                yield _change(rule, mode, at, "old", subject, f"{what} {media_type} removed")
                continue
            new_media, new_at = new_content[media_type]
            yield from self._schema(
                Slot(media.get("schema", {}), at.child("schema")),
                Slot(new_media.get("schema", {}), new_at.child("schema")),
                mode,
                subject,
                f"{what} {media_type}",
            )
        for media_type, (_, at) in new_content.items():
            if media_type not in old_content:
                rule = rules.REQUEST_CONTENT_TYPE_ADDED if request else rules.RESPONSE_CONTENT_TYPE_ADDED
                yield _change(rule, mode, at, "new", subject, f"{what} {media_type} added")

    def _schema(self, old: Slot, new: Slot, mode: Mode, subject: str, what: str) -> Iterator[Change]:
        for finding, paths in grouped(self.schemas.compare(old, new)):
            where = f"{what} at {paths}" if paths else what
            yield _change(
                finding.rule, mode, finding.location, finding.side, subject, f"{where}: {finding.detail}"
            )


def _change(
    rule: Rule, mode: Mode, at: Location, side: Literal["old", "new"], subject: str, text: str
) -> Change:
    severity = grade(rule, mode)
    if rule.breaks and mode in (REQUEST, RESPONSE):
        reader = (
            "the new server reading old clients' requests"
            if mode is REQUEST
            else "old clients reading responses"
        )
        text += f" ({reader}: {severity})"
    return Change(rule, severity, mode, at, side, subject, text)


# -- reading the documents -----------------------------------------------------------------------


def _deref(resolver: Resolver, node: Any, at: Location) -> _Node | None:
    try:
        found, where = resolver.deref(node, at)
    except ContractError:
        return None
    return (found, where) if isinstance(found, dict) else None


def _paths(resolver: Resolver, document: Document | None) -> dict[str, tuple[str, _Node]]:
    """Path items by path with parameter names blanked, each with the path as written."""
    if document is None or not isinstance(document.content, dict):
        return {}
    found: dict[str, tuple[str, _Node]] = {}
    for path, item in (document.content.get("paths") or {}).items():
        node = _deref(resolver, item, document.location.child("paths", path))
        if node is not None:
            found[_PARAMETER.sub("{}", path)] = (path, node)
    return found


def _operations(item: _Node) -> dict[str, _Node]:
    node, at = item
    return {m: (node[m], at.child(m)) for m in HTTP_METHODS if isinstance(node.get(m), dict)}


def _parameters(resolver: Resolver, path: str, item: _Node, operation: _Node) -> dict[tuple[str, str], _Node]:
    """The operation's parameters with the path item's, by location and name.

    Header names ignore case; a path parameter is known by its position in the path, so that
    renaming `{id}` to `{orderId}` (which no client sees) is no change.
    """
    positions = {name[1:-1]: f"#{index}" for index, name in enumerate(_PARAMETER.findall(path))}
    found: dict[tuple[str, str], _Node] = {}
    for node, at in (item, operation):
        for index, parameter in enumerate(node.get("parameters") or []):
            resolved = _deref(resolver, parameter, at.child("parameters", index))
            if resolved is None:
                continue
            where, name = str(resolved[0].get("in")), str(resolved[0].get("name"))
            if where == "header":
                name = name.lower()
            elif where == "path":
                name = positions.get(name, name)
            found[(where, name)] = resolved
    return found


def _resolved(resolver: Resolver, owner: _Node, key: str) -> _Node | None:
    node, at = owner
    return _deref(resolver, node[key], at.child(key)) if key in node else None


def _responses(resolver: Resolver, operation: _Node) -> dict[str, _Node]:
    node, at = operation
    found: dict[str, _Node] = {}
    for status, response in (node.get("responses") or {}).items():
        resolved = _deref(resolver, response, at.child("responses", status))
        if resolved is not None:
            found[str(status).upper()] = resolved
    return found


def _content(owner: _Node) -> dict[str, _Node]:
    node, at = owner
    content = node.get("content") or {}
    return {
        media_type: (media, at.child("content", media_type))
        for media_type, media in content.items()
        if isinstance(media, dict)
    }
