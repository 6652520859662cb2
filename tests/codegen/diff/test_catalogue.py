"""The rule catalogue: every rule is exercised by a test table and documented in the decision record."""

import re
from pathlib import Path

from codegen.diff import RULES, Direction, Severity
from codegen.diff.change import MODES, REQUEST, RESPONSE, grade
from tests.codegen.diff import cases, test_channel_rules, test_openapi_rules

DECISION = Path(__file__).parents[3] / "docs" / "decisions" / "007-breaking-changes.md"
#: exercised by dedicated tests rather than by a table
ON_THEIR_OWN = {"sensitive-marking-changed", "schema-unresolved"}


def test_every_rule_is_exercised_by_a_table() -> None:
    tabled = {rule for case in cases.CASES for rule in case.expect}
    tabled |= {rule for *_, expected in test_channel_rules.CASES for rule in expected}
    tabled |= {rule for *_, expected in test_openapi_rules.CASES for rule in expected}
    assert set(RULES) - tabled == ON_THEIR_OWN


def test_every_rule_is_documented_in_the_decision_record() -> None:
    documented = set(re.findall(r"`([a-z]+(?:-[a-z0-9]+)+)`", DECISION.read_text()))
    assert set(RULES) - documented == set()


def test_rule_ids_are_kebab_case_and_unique() -> None:
    assert all(re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", rule) for rule in RULES)


def test_modes_grade_by_direction() -> None:
    backward_only = RULES["property-added-required"]
    forward_only = RULES["enum-value-added"]
    assert backward_only.breaks == {Direction.BACKWARD}
    assert forward_only.breaks == {Direction.FORWARD}
    assert [grade(backward_only, MODES[m]) for m in ("full", "backward", "forward", "none")] == [
        Severity.BREAKING,
        Severity.BREAKING,
        Severity.WARNING,
        Severity.WARNING,
    ]
    assert (grade(backward_only, REQUEST), grade(backward_only, RESPONSE)) == (
        Severity.BREAKING,
        Severity.COMPATIBLE,
    )
    assert (grade(forward_only, REQUEST), grade(forward_only, RESPONSE)) == (
        Severity.COMPATIBLE,
        Severity.BREAKING,
    )
