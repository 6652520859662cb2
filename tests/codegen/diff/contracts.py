"""Writing tiny contract directories for the breaking-change tests."""

from pathlib import Path
from typing import Any

import yaml

HEADERS = "headers"
PAYLOAD = "payload"


def dump(path: Path, content: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True))


def asyncapi(channels: dict[str, dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """An AsyncAPI 3 document with `channels` (key -> channel) and whatever else is given."""
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Diff test", "version": "1.0.0"},
        "channels": channels,
        **extra,
    }


def channel(address: str, messages: dict[str, dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"address": address, "messages": messages, **extra}


def message(name: str, payload: Any, headers: Any = None) -> dict[str, Any]:
    found = {"name": name, "payload": payload}
    if headers is not None:
        found["headers"] = headers
    return found


def write_schema_case(root: Path, address: str, schemas: dict[str, Any], *, part: str = PAYLOAD) -> None:
    """One channel whose message's payload (or headers) is `schemas["Subject"]` of schemas/case.yaml."""
    dump(root / "schemas" / "case.yaml", {**schemas, "Body": {"type": "object"}})
    ref = {"$ref": "./schemas/case.yaml#/Subject"}
    body = {"$ref": "./schemas/case.yaml#/Body"}
    found = message("Case", ref) if part == PAYLOAD else message("Case", body, headers=ref)
    dump(root / "asyncapi.yaml", asyncapi({"case": channel(address, {"Case": found})}))
