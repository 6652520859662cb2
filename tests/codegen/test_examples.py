"""Every example of the contract round-trips through its model, and broken copies of it are refused.

The mutations are derived from the contract's JSON Schema, field by field: remove a required field, give
a field the wrong JSON type, leave an enum, cross a bound, break a pattern or a format. Each mutation is
first shown invalid by a JSON Schema validator (so the test cannot mutate into something valid), then the
generated model must refuse it as well.
"""

from collections.abc import Iterator
from copy import deepcopy
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
import referencing
from pydantic import BaseModel, ValidationError

from a4co_sdk import messages
from a4co_sdk._runtime.model import wire_json
from codegen.loader.location import Location
from codegen.loader.resolver import Resolver

ROOT = Path(__file__).resolve().parents[2] / "contracts"
RESOLVER = Resolver(ROOT)
ASYNCAPI = RESOLVER.document("asyncapi.yaml")


def _registry() -> referencing.Registry[Any]:
    resources = []
    for path in sorted(ROOT.rglob("*.yaml")):
        file = path.relative_to(ROOT).as_posix()
        contents = RESOLVER.document(file)
        resource = referencing.Resource.from_contents(
            contents, default_specification=referencing.jsonschema.DRAFT7
        )
        resources.append((RESOLVER.uri(file), resource))
    return referencing.Registry().with_resources(resources)


REGISTRY = _registry()


def validator(schema_ref: str) -> jsonschema.protocols.Validator:
    return jsonschema.Draft7Validator(
        {"$ref": schema_ref}, registry=REGISTRY, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


def message_examples() -> Iterator[tuple[str, dict[str, Any], Location]]:
    for name, node in ASYNCAPI["components"]["messages"].items():
        for i, example in enumerate(node.get("examples") or []):
            yield name, example, Location("asyncapi.yaml", f"/components/messages/{name}/payload")
            assert i >= 0


EXAMPLES = list(message_examples())


def read(model: type[BaseModel], data: Any) -> BaseModel:
    return model.model_validate_json(orjson.dumps(data), strict=True, extra="ignore")


@pytest.mark.parametrize(("name", "example", "at"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_each_example_round_trips_through_its_model(name: str, example: dict[str, Any], at: Location) -> None:
    spec = messages.MESSAGES[name]
    payload = read(spec.payload, example["payload"])
    wire = orjson.loads(wire_json(payload))
    assert read(spec.payload, wire) == payload
    validator(RESOLVER.uri("asyncapi.yaml") + "#" + at.pointer).validate(wire)
    assert spec.headers is not None
    headers = spec.headers.model_validate(example["headers"])
    assert spec.headers.model_validate(headers.model_dump(mode="json")) == headers


def test_every_message_has_an_example() -> None:
    assert {name for name, *_ in EXAMPLES} == set(messages.MESSAGES)


WRONG_TYPE: dict[str, Any] = {
    "string": 12345,
    "integer": "12",
    "number": "1.5",
    "boolean": "yes",
    "array": "not-a-list",
    "object": ["not", "an", "object"],
}
BAD_FORMAT = {
    "uuid": "not-a-uuid",
    "date-time": "yesterday",
    "email": "nobody",
    "uri": "no scheme",
    "decimal": "1,50",
}


def _deref(node: Any, at: Location) -> tuple[dict[str, Any], Location]:
    target, where = RESOLVER.deref(node, at)
    return target, where


def mutations(
    instance: Any, schema: Any, at: Location, path: tuple[Any, ...] = ()
) -> Iterator[tuple[str, tuple[Any, ...], Any]]:
    """(what, path, replacement) — replacement `...` deletes the field."""
    schema, at = _deref(schema, at)
    for key in ("oneOf", "anyOf"):
        for i, branch in enumerate(schema.get(key) or []):
            branch_schema, branch_at = _deref(branch, at.child(key, i))
            const = {
                k: v.get("const") for k, v in (branch_schema.get("properties") or {}).items() if "const" in v
            }
            if const and all(isinstance(instance, dict) and instance.get(k) == v for k, v in const.items()):
                yield from mutations(instance, branch_schema, branch_at, path)
    kind = schema.get("type")
    if isinstance(kind, str) and kind in WRONG_TYPE and path:
        yield f"{'/'.join(map(str, path))}: wrong type", path, WRONG_TYPE[kind]
    if "enum" in schema and path:
        yield f"{'/'.join(map(str, path))}: not in enum", path, "__not_in_the_enum__"
    if "const" in schema and path:
        yield f"{'/'.join(map(str, path))}: other const", path, "__other__"
    if isinstance(instance, (int, float)) and not isinstance(instance, bool):
        if "minimum" in schema:
            yield f"{'/'.join(map(str, path))}: below minimum", path, schema["minimum"] - 1
        if "maximum" in schema:
            yield f"{'/'.join(map(str, path))}: above maximum", path, schema["maximum"] + 1
        if "exclusiveMinimum" in schema:
            yield f"{'/'.join(map(str, path))}: at exclusive minimum", path, schema["exclusiveMinimum"]
    if isinstance(instance, str):
        if schema.get("minLength", 0) > 0:
            yield f"{'/'.join(map(str, path))}: too short", path, ""
        if "maxLength" in schema:
            yield f"{'/'.join(map(str, path))}: too long", path, "x" * (schema["maxLength"] + 1)
        if "pattern" in schema:
            yield f"{'/'.join(map(str, path))}: breaks pattern", path, "%%%"
        if schema.get("format") in BAD_FORMAT:
            yield f"{'/'.join(map(str, path))}: bad {schema['format']}", path, BAD_FORMAT[schema["format"]]
    if isinstance(instance, dict):
        properties = schema.get("properties") or {}
        for required in schema.get("required") or []:
            if required in instance:
                yield f"{'/'.join(map(str, (*path, required)))}: missing", (*path, required), ...
        for name, value in instance.items():
            if name in properties:
                yield from mutations(value, properties[name], at.child("properties", name), (*path, name))
    if isinstance(instance, list):
        if "minItems" in schema and len(instance) == schema["minItems"]:
            yield f"{'/'.join(map(str, path))}: too few items", path, instance[:-1]
        if "items" in schema and instance:
            yield from mutations(instance[0], schema["items"], at.child("items"), (*path, 0))


def apply(document: Any, path: tuple[Any, ...], replacement: Any) -> Any:
    mutated = deepcopy(document)
    if not path:
        return replacement
    parent = mutated
    for key in path[:-1]:
        parent = parent[key]
    if replacement is ...:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return mutated


@pytest.mark.parametrize(("name", "example", "at"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_mutated_payloads_are_refused(name: str, example: dict[str, Any], at: Location) -> None:
    spec = messages.MESSAGES[name]
    schema_validator = validator(RESOLVER.uri("asyncapi.yaml") + "#" + at.pointer)
    node = RESOLVER.node(at)
    cases = list(mutations(example["payload"], node, at))
    assert cases, f"no mutation derived for {name}"
    accepted = []
    for what, path, replacement in cases:
        mutated = apply(example["payload"], path, replacement)
        if schema_validator.is_valid(mutated):
            continue  # e.g. a pattern that "%%%" happens to satisfy: not a mutation
        try:
            read(spec.payload, mutated)
        except ValidationError:
            continue
        accepted.append(what)
    assert not accepted, f"{name}: the model accepted payloads the contract refuses: {accepted}"
