"""The detector on one schema change at a time: exactly the expected rules, graded by the mode."""

from pathlib import Path

import pytest

from codegen.diff import RULES, Severity, diff_contracts
from codegen.diff.rules import SCHEMA_UNRESOLVED
from tests.codegen.diff.cases import CASES, Case, obj, value
from tests.codegen.diff.contracts import asyncapi, channel, dump, message, write_schema_case

ADDRESS = "case.thing.v1"


def compare(tmp_path: Path, case: Case) -> dict[str, str]:
    write_schema_case(tmp_path / "old", ADDRESS, {"Subject": case.old, **case.old_defs}, part=case.part)
    write_schema_case(tmp_path / "new", ADDRESS, {"Subject": case.new, **case.new_defs}, part=case.part)
    report = diff_contracts(tmp_path / "old", tmp_path / "new")
    found: dict[str, str] = {}
    for change in report.changes:
        assert found.setdefault(change.rule.id, str(change.severity)) == str(change.severity), change
    return found


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_each_change_is_reported_as_its_rule_with_its_severity(tmp_path: Path, case: Case) -> None:
    assert compare(tmp_path, case) == case.expect


def test_every_schema_rule_has_a_case() -> None:
    covered = {rule for case in CASES for rule in case.expect}
    schema_rules = {
        rule
        for rule in RULES
        if rule.startswith(
            (
                "property-",
                "additional-",
                "type-",
                "nullable-",
                "format-",
                "enum-",
                "const-",
                "bound-",
                "multiple-of",
                "pattern-",
                "unique-",
                "default-",
                "sensitive-",
                "union-",
                "discriminator-",
            )
        )
    }
    # tested on their own below: the generated models cannot show them
    assert schema_rules - covered == {"sensitive-marking-changed"}


def test_a_breaking_message_change_says_which_channel_to_publish_instead(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "property-added-required")
    write_schema_case(tmp_path / "old", "order.created.v1", {"Subject": case.old})
    write_schema_case(tmp_path / "new", "order.created.v1", {"Subject": case.new})
    (change,) = diff_contracts(tmp_path / "old", tmp_path / "new").changes
    assert change.severity is Severity.BREAKING
    assert "publish it on order.created.v2 beside order.created.v1 and mark v1's operations deprecated" in (
        change.message
    )
    assert (change.location.file, change.location.pointer) == ("schemas/case.yaml", "/Subject/properties/b")
    assert change.side == "new"


def test_a_removal_is_located_in_the_old_contracts(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "property-removed-optional")
    write_schema_case(tmp_path / "old", ADDRESS, {"Subject": case.old})
    write_schema_case(tmp_path / "new", ADDRESS, {"Subject": case.new})
    (change,) = diff_contracts(tmp_path / "old", tmp_path / "new").changes
    assert (change.side, change.location.pointer) == ("old", "/Subject/properties/b")
    assert "never add `b` back" in change.message


@pytest.mark.parametrize(
    ("case_id", "expected"),
    [
        (
            "property-added-required",
            {"full": "breaking", "backward": "breaking", "forward": "warning", "none": "warning"},
        ),
        (
            "enum-value-added",
            {"full": "breaking", "backward": "warning", "forward": "breaking", "none": "warning"},
        ),
        (
            "type-changed",
            {"full": "breaking", "backward": "breaking", "forward": "breaking", "none": "warning"},
        ),
        ("property-added-optional", dict.fromkeys(("full", "backward", "forward", "none"), "compatible")),
        ("property-removed-optional", dict.fromkeys(("full", "backward", "forward", "none"), "warning")),
    ],
)
def test_the_channel_mode_decides_which_directions_break(
    tmp_path: Path, case_id: str, expected: dict[str, str]
) -> None:
    case = next(c for c in CASES if c.id == case_id)
    for mode, severity in expected.items():
        for side, schema in (("old", case.old), ("new", case.new)):
            root = tmp_path / mode / side
            write_schema_case(root, ADDRESS, {"Subject": schema})
            document = asyncapi(
                {
                    "case": channel(
                        ADDRESS,
                        {"Case": message("Case", {"$ref": "./schemas/case.yaml#/Subject"})},
                        **{"x-a4co-compatibility": mode},
                    )
                }
            )
            dump(root / "asyncapi.yaml", document)
        (change,) = diff_contracts(tmp_path / mode / "old", tmp_path / mode / "new").changes
        assert (mode, str(change.severity)) == (mode, severity)
        assert change.mode.name == mode


def test_identical_shared_schema_changes_are_reported_once_per_message(tmp_path: Path) -> None:
    money = obj({"amount": {"type": "string", "maxLength": 10}}, "amount")
    wider = obj({"amount": {"type": "string", "maxLength": 12}}, "amount")
    subject = obj({"price": {"$ref": "#/Money"}, "total": {"$ref": "#/Money"}}, "price", "total")
    write_schema_case(tmp_path / "old", ADDRESS, {"Subject": subject, "Money": money})
    write_schema_case(tmp_path / "new", ADDRESS, {"Subject": subject, "Money": wider})
    (change,) = diff_contracts(tmp_path / "old", tmp_path / "new").changes
    assert change.rule.id == "bound-relaxed"
    assert "price.amount, total.amount" in change.message


@pytest.mark.parametrize(("before", "after"), [(None, "pii"), ("pii", None), ("pii", "pci")])
def test_changing_what_travels_encrypted_breaks_both_ways(
    tmp_path: Path, before: str | None, after: str | None
) -> None:
    # Not in CASES: the cipher runs before the model, so the generated models cannot show it.
    def email(mark: str | None) -> dict[str, object]:
        return value({"type": "string"} | ({"x-a4co-sensitive": mark} if mark else {}))

    write_schema_case(tmp_path / "old", ADDRESS, {"Subject": email(before)})
    write_schema_case(tmp_path / "new", ADDRESS, {"Subject": email(after)})
    (change,) = diff_contracts(tmp_path / "old", tmp_path / "new").changes
    assert (change.rule.id, change.severity) == ("sensitive-marking-changed", Severity.BREAKING)


def test_a_recursive_schema_is_compared_without_looping(tmp_path: Path) -> None:
    node = obj(
        {"name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/Subject"}}}, "name"
    )
    changed = obj(
        {
            "name": {"type": "string", "maxLength": 3},
            "children": {"type": "array", "items": {"$ref": "#/Subject"}},
        },
        "name",
    )
    write_schema_case(tmp_path / "old", ADDRESS, {"Subject": node})
    write_schema_case(tmp_path / "new", ADDRESS, {"Subject": changed})
    (change,) = diff_contracts(tmp_path / "old", tmp_path / "new").changes
    assert change.rule.id == "bound-tightened"


def test_an_unresolvable_ref_is_reported_not_raised(tmp_path: Path) -> None:
    write_schema_case(
        tmp_path / "old", ADDRESS, {"Subject": value({"$ref": "#/Inner"}), "Inner": {"type": "string"}}
    )
    write_schema_case(tmp_path / "new", ADDRESS, {"Subject": value({"$ref": "#/Missing"})})
    (change,) = diff_contracts(tmp_path / "old", tmp_path / "new").changes
    assert change.rule is SCHEMA_UNRESOLVED
    assert change.severity is Severity.WARNING
