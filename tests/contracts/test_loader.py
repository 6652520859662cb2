"""The loader: YAML read as JSON, `$ref`s resolved across files, origins kept, cycles caught."""

from pathlib import Path
from typing import Any

import pytest

from codegen.errors import LoadError, PointerError, RefCycleError, RefError
from codegen.loader import Location, Resolver, bundle, iter_refs, load_contracts, rewrite_refs
from codegen.loader import pointer as jp
from codegen.loader import resolver as resolver_module
from codegen.loader.yaml_source import parse_yaml
from codegen.model import read_asyncapi

from .conftest import CONTRACTS


def write_files(root: Path, files: dict[str, str]) -> Resolver:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return Resolver(root)


# -- YAML -----------------------------------------------------------------------------------------------


def test_yaml_is_read_as_json_data() -> None:
    data = parse_yaml(
        "on: yes\nflag: true\nwhen: 2026-11-20T10:15:00+01:00\nresponses:\n  200: {description: ok}\n",
        file="x.yaml",
    )
    assert data == {
        "on": "yes",
        "flag": True,
        "when": "2026-11-20T10:15:00+01:00",
        "responses": {"200": {"description": "ok"}},
    }


def test_invalid_yaml_is_a_load_error_with_its_line() -> None:
    with pytest.raises(LoadError) as caught:
        parse_yaml("a: 1\nb: [unclosed\n", file="broken.yaml")
    assert caught.value.file == "broken.yaml"
    assert caught.value.line == 3


def test_missing_contracts_are_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="file not found"):
        load_contracts(tmp_path)


# -- JSON pointers --------------------------------------------------------------------------------------


def test_pointer_escapes_round_trip() -> None:
    assert jp.join("", "paths", "/orders/{id}", "a~b") == "/paths/~1orders~1{id}/a~0b"
    assert jp.split("/paths/~1orders~1{id}/a~0b") == ["paths", "/orders/{id}", "a~b"]
    assert jp.to_fragment("/paths/~1orders~1{id}") == "/paths/~1orders~1%7Bid%7D"


def test_pointer_lookup_reports_what_is_missing() -> None:
    document = {"a": [{"b": 1}]}
    assert jp.lookup(document, "/a/0/b") == 1
    with pytest.raises(PointerError, match="/a/0 has no member 'c'"):
        jp.lookup(document, "/a/0/c")
    with pytest.raises(PointerError):
        jp.lookup(document, "/a/01")


def test_refs_resolve_with_escapes_and_percent_encoding(tmp_path: Path) -> None:
    resolver = write_files(
        tmp_path,
        {
            "api.yaml": "paths:\n  /orders/{id}:\n    get: {}\n  a~b: {}\n",
        },
    )
    at = Location("api.yaml", "/x")
    assert resolver.target("#/paths/~1orders~1%7Bid%7D/get", at) == Location(
        "api.yaml", "/paths/~1orders~1{id}/get"
    )
    assert resolver.target("#/paths/a~0b", at) == Location("api.yaml", "/paths/a~0b")


# -- references across files ----------------------------------------------------------------------------


def test_relative_refs_resolve_against_the_file_they_are_written_in(tmp_path: Path) -> None:
    resolver = write_files(
        tmp_path,
        {
            "asyncapi.yaml": "payload: {$ref: './schemas/order.yaml#/Order'}\n",
            "schemas/order.yaml": "Order: {properties: {total: {$ref: './common.yaml#/Money'}}}\n",
            "schemas/common.yaml": (
                "Money: {type: object, properties: {amount: {$ref: '#/Amount'}}}\nAmount: {type: string}\n"
            ),
            "openapi/order.yaml": "schema: {$ref: '../schemas/common.yaml#/Money'}\n",
        },
    )
    order, at = resolver.deref_location(Location("asyncapi.yaml", "/payload"))
    assert at == Location("schemas/order.yaml", "/Order")
    money, at = resolver.deref_location(at.child("properties", "total"))
    assert at == Location("schemas/common.yaml", "/Money")
    _, at = resolver.deref_location(at.child("properties", "amount"))
    assert at == Location("schemas/common.yaml", "/Amount")
    _, at = resolver.deref_location(Location("openapi/order.yaml", "/schema"))
    assert at == Location("schemas/common.yaml", "/Money")
    assert order["properties"]["total"] == {"$ref": "./common.yaml#/Money"}
    assert money["type"] == "object"


def test_each_file_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    resolver = write_files(
        tmp_path,
        {
            "a.yaml": "x: {$ref: 'b.yaml#/one'}\ny: {$ref: 'b.yaml#/two'}\n",
            "b.yaml": "one: 1\ntwo: 2\n",
        },
    )
    reads: list[str] = []
    original = resolver_module.read_yaml

    def counting(path: Path, *, file: str) -> Any:
        reads.append(file)
        return original(path, file=file)

    monkeypatch.setattr(resolver_module, "read_yaml", counting)
    for _ in range(3):
        assert resolver.deref_location(Location("a.yaml", "/x"))[0] == 1
        assert resolver.deref_location(Location("a.yaml", "/y"))[0] == 2
    assert reads == ["a.yaml", "b.yaml"]


def test_an_unresolved_ref_names_where_it_is_written(tmp_path: Path) -> None:
    resolver = write_files(tmp_path, {"a.yaml": "x: {$ref: 'missing.yaml#/y'}\n"})
    with pytest.raises(RefError) as caught:
        resolver.deref_location(Location("a.yaml", "/x"))
    assert (caught.value.file, caught.value.pointer, caught.value.ref) == ("a.yaml", "/x", "missing.yaml#/y")
    assert "file not found" in str(caught.value)


def test_remote_refs_are_refused(tmp_path: Path) -> None:
    resolver = write_files(tmp_path, {"a.yaml": "x: {$ref: 'https://example.com/s.json#/A'}\n"})
    with pytest.raises(RefError, match="remote references are not resolved"):
        resolver.deref_location(Location("a.yaml", "/x"))


def test_a_chain_of_refs_back_to_itself_is_a_cycle(tmp_path: Path) -> None:
    resolver = write_files(
        tmp_path,
        {
            "a.yaml": "A: {$ref: 'b.yaml#/B'}\n",
            "b.yaml": "B: {$ref: 'a.yaml#/A'}\n",
        },
    )
    with pytest.raises(RefCycleError, match=r"a.yaml#/A -> b.yaml#/B -> a.yaml#/A"):
        resolver.deref_location(Location("a.yaml", "/A"))


def test_a_recursive_schema_is_not_a_cycle_and_bundles(tmp_path: Path) -> None:
    resolver = write_files(
        tmp_path,
        {
            "doc.yaml": "payload: {$ref: './tree.yaml#/Tree'}\n",
            "tree.yaml": (
                "Tree: {type: object, properties: {children: {type: array, items: {$ref: '#/Tree'}}}}\n"
            ),
        },
    )
    tree, at = resolver.deref_location(Location("doc.yaml", "/payload"))
    assert at == Location("tree.yaml", "/Tree")
    bundled = bundle(resolver, "doc.yaml")
    assert bundled.document["payload"]["properties"]["children"]["items"] == {"$ref": "#/payload"}
    assert bundled.origin("/payload/properties/children") == Location(
        "tree.yaml", "/Tree/properties/children"
    )
    assert bundled.origin("/other") == Location("doc.yaml", "/other")
    assert tree["type"] == "object"


def test_bundle_of_the_real_asyncapi_document_keeps_origins() -> None:
    contracts = load_contracts(CONTRACTS)
    bundled = bundle(contracts.resolver, "asyncapi.yaml")
    payload = bundled.document["components"]["messages"]["CreateOrder"]["payload"]
    assert "$ref" not in payload
    assert payload["title"] == "CreateOrder"
    assert bundled.origin(
        "/components/messages/CreateOrder/payload/properties/items/items/properties/unitPrice"
    ) == (Location("schemas/common.yaml", "/Money"))
    assert bundled.origin("/components/messages/CreateOrder/headers/properties/event-id") == (
        Location("schemas/envelope.yaml", "/EventHeaders/properties/event-id")
    )


# -- walking references ---------------------------------------------------------------------------------


def test_refs_in_examples_are_data_but_names_are_not_keywords() -> None:
    document = parse_yaml(
        """
responses:
  default: {$ref: '#/components/responses/Error'}
components:
  schemas:
    A:
      properties:
        default: {$ref: '#/components/schemas/B'}
      default: {$ref: not-a-reference}
      examples: [{$ref: not-a-reference}]
  examples:
    One: {value: {$ref: not-a-reference}}
    Two: {$ref: '#/components/examples/One'}
""",
        file="api.yaml",
    )
    refs = [(str(at), ref) for at, ref in iter_refs(document, Location("api.yaml"))]
    assert refs == [
        ("api.yaml#/responses/default", "#/components/responses/Error"),
        ("api.yaml#/components/schemas/A/properties/default", "#/components/schemas/B"),
        ("api.yaml#/components/examples/Two", "#/components/examples/One"),
    ]
    rewritten = rewrite_refs(document, lambda ref: "x" + ref)
    assert rewritten["responses"]["default"] == {"$ref": "x#/components/responses/Error"}
    assert rewritten["components"]["schemas"]["A"]["default"] == {"$ref": "not-a-reference"}


# -- the contract set -----------------------------------------------------------------------------------


def test_the_real_contracts_load() -> None:
    """How long it takes (under 0.5 s is the target) is `python -m bench --only toolchain`."""
    contracts = load_contracts(CONTRACTS)
    model = read_asyncapi(contracts)
    assert contracts.asyncapi.file == "asyncapi.yaml"
    assert "order" in contracts.schemas
    assert contracts.schemas["order"].file == "schemas/order.yaml"
    assert len(model.channels) > 40
    assert all(document.file.startswith("openapi/") for document in contracts.openapi.values())
    assert "components" not in contracts.openapi


def test_openapi_documents_by_service(contracts_copy: Path) -> None:
    contracts = load_contracts(contracts_copy)
    assert contracts.openapi["fixture"].file == "openapi/fixture.yaml"
    assert (
        contracts.openapi["fixture"].content["paths"]["/things/{thingId}"]["get"]["operationId"] == "getThing"
    )
