"""OpenAPI 3.1 -> the intermediate model: types, names, `$ref`s across files, security, and refusals."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from codegen.ir import HttpDocument, HttpOperation
from codegen.loader.resolver import Resolver
from codegen.parser import parse
from codegen.parser.openapi import parse_openapi
from codegen.parser.schemas import SchemaRegistry, UnsupportedConstructError

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def rental() -> HttpDocument:
    api = parse(FIXTURES / "bikes", package="bikes_sdk")
    documents = {doc.service: doc for doc in api.http}
    assert not documents["shared"].operations  # components only
    return documents["rental"]


def operation(doc: HttpDocument, op_id: str) -> HttpOperation:
    return next(op for op in doc.operations if op.id == op_id)


def test_parameters_get_python_types_and_keep_their_schema(rental: HttpDocument) -> None:
    op = operation(rental, "listBikes")
    types = {p.python_name: (p.type.source, p.location, p.required, p.default) for p in op.parameters}
    assert types == {
        "station_id": ("UUID", "path", True, None),
        "kind": ("fleet.BikeKind", "query", False, None),
        "min_battery": ("int", "query", False, None),
        "max_price": ("Decimal", "query", False, None),
        "tag": ("list[str]", "query", False, None),
        "available_from": ("datetime", "query", False, None),
        "limit": ("int", "query", False, 20),
        "sort": ("rental.ListBikesSort", "query", False, "battery"),
        "x_request_id": ("str", "header", False, None),
    }
    by_name = {p.name: p for p in op.parameters}
    assert by_name["maxPrice"].schema == {
        "type": "string",
        "format": "decimal",
        "pattern": r"^(0|[1-9][0-9]{0,5})(\.[0-9]{1,2})?$",
    }
    assert by_name["tag"].schema == {
        "type": "array",
        "maxItems": 5,
        "items": {"type": "string", "minLength": 1},
    }
    assert by_name["tag"].explode
    assert by_name["X-Request-Id"].schema["pattern"] == "^[A-Za-z0-9._:-]{1,128}$"  # from shared.yaml
    assert op.sla_ms == 80
    assert op.security == ()


def test_bodies_and_responses_become_models_named_after_their_operation(rental: HttpDocument) -> None:
    op = operation(rental, "startRental")
    assert op.body is not None
    assert (op.body.type.source, op.body.required, op.body.content_type) == (
        "rental.StartRentalRequest",
        True,
        "application/json",
    )
    statuses = {r.status: (r.type.source if r.type else None, r.content_type) for r in op.responses}
    assert statuses["201"] == ("rental.Rental", "application/json")
    assert statuses["202"] == ("rental.StartRental202Response", "application/json")
    assert statuses["409"] == ("shared.Problem", "application/problem+json")
    assert [r.status for r in op.successes] == ["201", "202"]
    assert op.responses[0].headers == ("Location",)
    end = operation(rental, "endRental")
    assert end.successes[0].type is None
    assert [p.name for p in end.parameters] == ["rentalId"]  # from the path item
    metrics = operation(rental, "getMetrics")
    assert metrics.successes[0].type is not None
    assert (metrics.successes[0].type.source, metrics.successes[0].content_type) == (
        "str",
        "text/plain; version=0.0.4",
    )


def test_security_follows_the_document_unless_the_operation_says_otherwise(rental: HttpDocument) -> None:
    assert operation(rental, "startRental").security == ({"riderToken": ()},)
    assert operation(rental, "getRental").security == ({"riderToken": ("rider",)}, {"staffToken": ()})
    assert operation(rental, "getHealth").security == ()
    assert rental.security_schemes["staffToken"] == {
        "type": "http",
        "scheme": "bearer",
    }  # $ref to shared.yaml


def test_path_items_referenced_from_another_file(rental: HttpDocument) -> None:
    health = operation(rental, "getHealth")
    assert (health.method, health.path, health.python_name) == ("GET", "/health", "get_health")
    assert health.successes[0].type is not None
    assert health.successes[0].type.source == "shared.Health"


# -- what is refused ----------------------------------------------------------------------------------

OP = "/paths/~1things~1{id}/post"


def document(**changes: Any) -> dict[str, Any]:
    """A small valid document; `changes` replace members of its one operation (None removes one)."""
    op: dict[str, Any] = {
        "operationId": "makeThing",
        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
        "responses": {"201": {"description": "made"}},
    }
    for key, value in changes.items():
        if value is None:
            op.pop(key, None)
        else:
            op[key] = value
    return {
        "openapi": "3.1.0",
        "info": {"title": "Things", "version": "1.0.0"},
        "paths": {
            "/things/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "post": op,
            }
        },
        "components": {
            "schemas": {"Thing": {"type": "object", "properties": {"name": {"type": "string"}}}},
            "securitySchemes": {
                "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
                "token": {"type": "http", "scheme": "bearer"},
            },
        },
    }


def parse_document(tmp_path: Path, content: dict[str, Any]) -> HttpDocument:
    (tmp_path / "api.yaml").write_text(yaml.safe_dump(content))
    resolver = Resolver(tmp_path)
    registry = SchemaRegistry(resolver, documents={"api.yaml": "things"})
    return parse_openapi(resolver, "api.yaml", registry, service="things")


def body(schema: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    return {"content": {media: {"schema": schema}}}


NULLABLE = {"type": "object", "required": ["note"], "properties": {"note": {"type": ["string", "null"]}}}
REFUSED = {
    "cookie": (
        {"parameters": [{"name": "s", "in": "cookie", "schema": {"type": "string"}}]},
        "cookie",
        f"{OP}/parameters/0/in",
    ),
    "text body": (
        {"requestBody": body({"type": "string"}, "text/plain")},
        "only JSON",
        f"{OP}/requestBody/content/text~1plain",
    ),
    "form body": (
        {"requestBody": body({"type": "object"}, "multipart/form-data")},
        "only JSON",
        f"{OP}/requestBody/content",
    ),
    "callbacks": ({"callbacks": {"done": {}}}, "callbacks", f"{OP}/callbacks"),
    "inline oneOf": (
        {"requestBody": body({"oneOf": [{"type": "object"}, {"type": "string"}]})},
        "inline oneOf",
        f"{OP}/requestBody/content/application~1json/schema/oneOf",
    ),
    "api key": ({"security": [{"key": []}]}, "bearer tokens only", f"{OP}/security/0/key"),
    "undeclared scheme": ({"security": [{"nope": []}]}, "not declared", f"{OP}/security/0/nope"),
    "required nullable": (
        {"requestBody": body(NULLABLE)},
        "may be null",
        f"{OP}/requestBody/content/application~1json/schema/properties/note",
    ),
    "no operationId": ({"operationId": None}, "operationId", f"{OP}/operationId"),
    "deepObject": (
        {"parameters": [{"name": "f", "in": "query", "style": "deepObject", "schema": {"type": "object"}}]},
        "style 'deepObject'",
        f"{OP}/parameters/0/style",
    ),
    "object parameter": (
        {"parameters": [{"name": "f", "in": "query", "schema": {"type": "object"}}]},
        "object parameters",
        f"{OP}/parameters/0/schema",
    ),
    "content parameter": (
        {"parameters": [{"name": "f", "in": "query", "content": {"application/json": {}}}]},
        "`content`",
        f"{OP}/parameters/0/content",
    ),
    "2XX range": (
        {"responses": {"2XX": {"description": "fine"}}},
        "'2XX' is not supported",
        f"{OP}/responses/2XX",
    ),
    "no success": ({"responses": {"404": {"description": "no"}}}, "2xx response", f"{OP}/responses"),
    "pdf response": (
        {"responses": {"200": {"description": "pdf", "content": {"application/pdf": {}}}}},
        "application/pdf",
        f"{OP}/responses/200/content/application~1pdf",
    ),
}


@pytest.mark.parametrize("change", REFUSED.values(), ids=REFUSED.keys())
def test_unsupported_constructs_are_refused_with_file_and_pointer(
    tmp_path: Path, change: tuple[Any, ...]
) -> None:
    changes, message, pointer = change
    with pytest.raises(UnsupportedConstructError) as caught:
        parse_document(tmp_path, document(**changes))
    assert message in str(caught.value)
    assert caught.value.file == "api.yaml"
    assert caught.value.pointer.startswith(pointer), caught.value.pointer


def test_documents_and_paths_that_are_refused(tmp_path: Path) -> None:
    old = document()
    old["openapi"] = "3.0.3"
    with pytest.raises(UnsupportedConstructError, match=r"OpenAPI 3\.0\.3 is not supported"):
        parse_document(tmp_path, old)
    hooks = {**document(), "webhooks": {"thing": {}}}
    with pytest.raises(UnsupportedConstructError, match="webhooks"):
        parse_document(tmp_path, hooks)
    undeclared = document()
    undeclared["paths"]["/things/{id}/{part}"] = undeclared["paths"].pop("/things/{id}")
    with pytest.raises(UnsupportedConstructError, match=r"\{part\}.* is not declared"):
        parse_document(tmp_path, undeclared)
    twice = document()
    twice["paths"]["/other/{id}"] = twice["paths"]["/things/{id}"]
    with pytest.raises(UnsupportedConstructError, match="would both be the method make_thing"):
        parse_document(tmp_path, twice)


def test_clashing_parameter_names_are_made_distinct(tmp_path: Path) -> None:
    parameters = [
        {"name": "id", "in": "query", "schema": {"type": "integer"}},
        {"name": "timeout", "in": "query", "schema": {"type": "number"}},
        {"name": "Accept", "in": "header", "schema": {"type": "string"}},
    ]
    doc = parse_document(tmp_path, document(parameters=parameters))
    names = {(p.name, p.location): p.python_name for p in doc.operations[0].parameters}
    assert names == {
        ("id", "path"): "id_path",
        ("id", "query"): "id_query",
        ("timeout", "query"): "timeout_param",
    }
