"""HTTP: requests must stay backward compatible (the new server reads old clients), responses
forward compatible (old clients read the new server). One change at a time to a small shop API."""

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codegen.diff import Report, diff_contracts
from tests.codegen.diff.contracts import asyncapi, dump

Document = dict[str, Any]
Edit = Callable[[Document], None]

JSON = "application/json"


def base() -> Document:
    item = {
        "type": "object",
        "required": ["id", "state"],
        "properties": {
            "id": {"type": "string"},
            "state": {"type": "string", "enum": ["a", "b"]},
            "size": {"type": "integer", "maximum": 10},
        },
    }
    item_input = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string", "maxLength": 20}, "note": {"type": "string"}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Shop", "version": "1.0.0"},
        "paths": {
            "/items/{itemId}": {
                "parameters": [
                    {"name": "itemId", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "get": {
                    "operationId": "getItem",
                    "parameters": [{"name": "verbose", "in": "query", "schema": {"type": "boolean"}}],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {JSON: {"schema": {"$ref": "#/components/schemas/Item"}}},
                        },
                        "404": {"description": "not found"},
                    },
                },
                "put": {
                    "operationId": "putItem",
                    "requestBody": {
                        "required": True,
                        "content": {JSON: {"schema": {"$ref": "#/components/schemas/ItemInput"}}},
                    },
                    "responses": {"204": {"description": "stored"}},
                },
            },
            "/legacy": {
                "get": {
                    "operationId": "legacy",
                    "deprecated": True,
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/health": {"get": {"operationId": "health", "responses": {"200": {"description": "ok"}}}},
        },
        "components": {"schemas": {"Item": item, "ItemInput": item_input}},
    }


def compare(tmp_path: Path, edit: Edit, *, before: Edit | None = None) -> Report:
    document = base()
    if before is not None:
        before(document)
    changed = copy.deepcopy(document)
    edit(changed)
    for side, content in (("old", document), ("new", changed)):
        dump(tmp_path / side / "asyncapi.yaml", asyncapi({}))
        dump(tmp_path / side / "openapi" / "shop.yaml", content)
    return diff_contracts(tmp_path / "old", tmp_path / "new")


def found(report: Report) -> dict[str, str]:
    return {change.rule.id: str(change.severity) for change in report.changes}


def get(doc: Document) -> Document:
    operation: Document = doc["paths"]["/items/{itemId}"]["get"]
    return operation


def put(doc: Document) -> Document:
    operation: Document = doc["paths"]["/items/{itemId}"]["put"]
    return operation


def schema(doc: Document, name: str) -> Document:
    found_schema: Document = doc["components"]["schemas"][name]
    return found_schema


def rename_path_parameter(doc: Document) -> None:
    item = doc["paths"].pop("/items/{itemId}")
    item["parameters"][0]["name"] = "id"
    doc["paths"]["/items/{id}"] = item


def add(container: Callable[[Document], Any], key: Any, value: Any) -> Edit:
    def edit(doc: Document) -> None:
        target = container(doc)
        if isinstance(target, list):
            target.append(value)
        else:
            target[key] = value

    return edit


def remove(container: Callable[[Document], Any], key: Any) -> Edit:
    def edit(doc: Document) -> None:
        del container(doc)[key]

    return edit


def verbose(doc: Document) -> Document:
    parameter: Document = get(doc)["parameters"][0]
    return parameter


def drop_property(name: str, prop: str) -> Edit:
    def edit(doc: Document) -> None:
        del schema(doc, name)["properties"][prop]
        schema(doc, name)["required"].remove(prop)

    return edit


def body(doc: Document) -> Document:
    request: Document = put(doc)["requestBody"]
    return request


CASES: list[tuple[str, Edit, Edit | None, dict[str, str]]] = [
    # paths and operations
    ("path-removed", remove(lambda d: d["paths"], "/health"), None, {"path-removed": "breaking"}),
    (
        "deprecated-operation-removed",
        remove(lambda d: d["paths"], "/legacy"),
        None,
        {"deprecated-operation-removed": "warning"},
    ),
    (
        "operation-removed",
        remove(lambda d: d["paths"]["/items/{itemId}"], "put"),
        None,
        {"operation-removed": "breaking"},
    ),
    (
        "operation-added",
        add(
            lambda d: d["paths"]["/items/{itemId}"], "delete", {"responses": {"204": {"description": "gone"}}}
        ),
        None,
        {"operation-added": "compatible"},
    ),
    ("path-parameter-renamed", rename_path_parameter, None, {}),
    # parameters
    ("parameter-removed", remove(get, "parameters"), None, {"parameter-removed": "breaking"}),
    (
        "parameter-added-optional",
        add(
            lambda d: get(d)["parameters"],
            None,
            {"name": "limit", "in": "query", "schema": {"type": "integer"}},
        ),
        None,
        {"parameter-added-optional": "compatible"},
    ),
    (
        "parameter-added-required",
        add(lambda d: get(d)["parameters"], None, {"name": "X-Tenant", "in": "header", "required": True}),
        None,
        {"parameter-added-required": "breaking"},
    ),
    (
        "parameter-became-required",
        add(verbose, "required", value=True),
        None,
        {"parameter-became-required": "breaking"},
    ),
    (
        "parameter-became-optional",
        remove(verbose, "required"),
        add(verbose, "required", value=True),
        {"parameter-became-optional": "compatible"},
    ),
    (
        "parameter-schema-narrowed",
        add(verbose, "schema", {"type": "string", "enum": ["yes"]}),
        add(verbose, "schema", {"type": "string", "enum": ["yes", "no"]}),
        {"enum-value-removed": "breaking"},
    ),
    # request bodies
    (
        "request-body-added-required",
        add(get, "requestBody", {"required": True, "content": {JSON: {"schema": {"type": "object"}}}}),
        None,
        {"request-body-added-required": "breaking"},
    ),
    (
        "request-body-added-optional",
        add(get, "requestBody", {"content": {JSON: {"schema": {"type": "object"}}}}),
        None,
        {"request-body-added-optional": "compatible"},
    ),
    (
        "request-body-became-required",
        add(body, "required", value=True),
        add(body, "required", value=False),
        {"request-body-became-required": "breaking"},
    ),
    (
        "request-body-became-optional",
        add(body, "required", value=False),
        None,
        {"request-body-became-optional": "compatible"},
    ),
    (
        "request-content-type-changed",
        lambda d: body(d).update(content={"application/xml": body(d)["content"][JSON]}),
        None,
        {"request-content-type-removed": "breaking", "request-content-type-added": "compatible"},
    ),
    # responses
    (
        "response-status-removed",
        remove(lambda d: get(d)["responses"], "404"),
        None,
        {"response-status-removed": "breaking"},
    ),
    (
        "response-success-status-added",
        add(lambda d: put(d)["responses"], "202", {"description": "queued"}),
        None,
        {"response-success-status-added": "breaking"},
    ),
    (
        "response-status-added",
        add(lambda d: put(d)["responses"], "409", {"description": "conflict"}),
        None,
        {"response-status-added": "compatible"},
    ),
    (
        "response-content-type-changed",
        lambda d: get(d)["responses"]["200"].update(
            content={"application/xml": {"schema": {"type": "string"}}}
        ),
        None,
        {"response-content-type-removed": "breaking", "response-content-type-added": "compatible"},
    ),
    # request schemas: only what the new server can no longer read breaks
    (
        "request-property-added-required",
        lambda d: schema(d, "ItemInput")["required"].append("note"),
        None,
        {"property-became-required": "breaking"},
    ),
    (
        "request-property-added-optional",
        add(lambda d: schema(d, "ItemInput")["properties"], "tags", {"type": "array"}),
        None,
        {"property-added-optional": "compatible"},
    ),
    (
        "request-property-became-optional",
        lambda d: schema(d, "ItemInput")["required"].clear(),
        None,
        {"property-became-optional": "compatible"},
    ),
    (
        "request-property-removed-required",
        drop_property("ItemInput", "name"),
        None,
        {"property-removed-required": "compatible"},
    ),
    (
        "request-bound-tightened",
        add(lambda d: schema(d, "ItemInput")["properties"]["name"], "maxLength", 10),
        None,
        {"bound-tightened": "breaking"},
    ),
    (
        "request-bound-relaxed",
        add(lambda d: schema(d, "ItemInput")["properties"]["name"], "maxLength", 30),
        None,
        {"bound-relaxed": "compatible"},
    ),
    # response schemas: only what old clients can no longer read breaks
    (
        "response-property-became-optional",
        lambda d: schema(d, "Item")["required"].remove("state"),
        None,
        {"property-became-optional": "breaking"},
    ),
    (
        "response-property-removed-required",
        drop_property("Item", "state"),
        None,
        {"property-removed-required": "breaking"},
    ),
    (
        "response-property-added-required",
        lambda d: schema(d, "Item")["required"].append("size"),
        None,
        {"property-became-required": "compatible"},
    ),
    (
        "response-enum-value-added",
        lambda d: schema(d, "Item")["properties"]["state"]["enum"].append("c"),
        None,
        {"enum-value-added": "breaking"},
    ),
    (
        "response-enum-value-removed",
        lambda d: schema(d, "Item")["properties"]["state"]["enum"].remove("b"),
        None,
        {"enum-value-removed": "compatible"},
    ),
    (
        "response-type-widened",
        add(lambda d: schema(d, "Item")["properties"]["size"], "type", "number"),
        None,
        {"type-widened": "breaking"},
    ),
    (
        "response-bound-relaxed",
        add(lambda d: schema(d, "Item")["properties"]["size"], "maximum", 20),
        None,
        {"bound-relaxed": "breaking"},
    ),
]


@pytest.mark.parametrize(("edit", "before", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_change_is_reported_as_its_rule_with_its_severity(
    tmp_path: Path, edit: Edit, before: Edit | None, expected: dict[str, str]
) -> None:
    assert found(compare(tmp_path, edit, before=before)) == expected


def test_a_schema_change_says_who_reads_it(tmp_path: Path) -> None:
    (change,) = compare(
        tmp_path, lambda d: schema(d, "Item")["properties"]["state"]["enum"].append("c")
    ).changes
    assert change.subject == "shop GET /items/{itemId}"
    assert change.message.startswith('response 200 application/json at state: enum value "c" added')
    assert "old clients reading responses" in change.message
    assert (change.location.file, change.location.pointer) == (
        "openapi/shop.yaml",
        "/components/schemas/Item/properties/state/enum",
    )


def test_a_removed_document_removes_its_paths(tmp_path: Path) -> None:
    document = base()
    dump(tmp_path / "old" / "asyncapi.yaml", asyncapi({}))
    dump(tmp_path / "old" / "openapi" / "shop.yaml", document)
    dump(tmp_path / "new" / "asyncapi.yaml", asyncapi({}))
    report = diff_contracts(tmp_path / "old", tmp_path / "new")
    assert found(report) == {"path-removed": "breaking", "deprecated-operation-removed": "warning"}
    assert all(change.side == "old" for change in report.changes)
