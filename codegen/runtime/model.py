"""Base class of every generated model: strict when written, tolerant when read.

Models are frozen and forbid unknown fields, so building a message with a misspelt field fails before
anything is sent. Readers call `read_model_json`, which ignores fields they do not know (pydantic applies
the per-call `extra` to nested models too), so a producer that adds an optional field never breaks them.

JSON from the wire is validated in strict mode: a JSON string is not an integer, as the contract's JSON
Schema says, even though pydantic would otherwise convert "12" to 12. Strict JSON mode still reads the
string forms of UUIDs, datetimes and enums. Python callers building models keep pydantic's conversions;
the bytes they publish are validated strictly before they leave.
"""

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = ["ContractModel", "read_model", "read_model_json", "wire_json"]

M = TypeVar("M", bound=BaseModel)


class ContractModel(BaseModel):
    """Wire names are the contract's (camelCase); Python attributes are snake_case."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )


def read_model_json(model: type[M], data: str | bytes | bytearray) -> M:
    """Validate JSON received from the wire, strictly, ignoring unknown fields at every depth."""
    return model.model_validate_json(data, strict=True, extra="ignore")


def read_model(model: type[M], data: Any) -> M:
    """Validate already-decoded, string-valued data (such as headers), ignoring unknown fields."""
    return model.model_validate(data, extra="ignore")


def wire_json(model: BaseModel) -> bytes:
    """The JSON of a model as the contract wants it: wire names, and optional fields left out, not null."""
    return model.model_dump_json(exclude_none=True).encode()
