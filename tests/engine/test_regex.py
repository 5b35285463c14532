"""The ``matches`` filter cannot hang: RE2 matches in linear time; what RE2 cannot run is refused
when the recipe loads, with file:line."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.filters import FilterSpecError, compile_filters
from app.engine.regex import HINT
from tests.engine.test_loader import CONNECTIONS, RECIPE, R, load, messages

EVIL = "a" * 9_999 + "!"  # within MAX_MATCH_INPUT; the '!' makes every pattern below fail


@pytest.mark.timeout(60)  # Python's re takes longer than the age of the universe on these
@pytest.mark.parametrize("pattern", [r"^(a+)+$", r"^(a|aa)+$", r"^(a|a?)+$", r"^(\w+\s?)*$", r"^(.*a){20}$",
                                     r"^((((((((a*)*)*)*)*)*)*)*)b"])
def test_a_catastrophic_pattern_runs_in_linear_time(pattern: str) -> None:
    filters = compile_filters([{"field": "$.text", "op": "matches", "value": pattern}])
    assert filters.evaluate({"text": EVIL}).passed is False
    assert filters.evaluate({"text": "a" * 20}).passed is (not pattern.endswith("b"))


def test_case_insensitive_by_default_and_sensitive_on_request() -> None:
    loose = compile_filters([{"field": "$.id", "op": "matches", "value": "^pay_\\d+$"}])
    strict = compile_filters([{"field": "$.id", "op": "matches", "value": "^pay_", "case_sensitive": True}])
    assert loose.evaluate({"id": "PAY_123"}).passed and not strict.evaluate({"id": "PAY_123"}).passed


@pytest.mark.parametrize(("pattern", "reason"), [
    (r"(a)\1", "invalid escape sequence: \\1"),
    (r"^(?=.*\d)", "invalid perl operator: (?="),
    (r"(?<!x)y", "invalid perl operator: (?<"),
    (r"((a{100}){100}){100}", "invalid repetition size"),  # RE2 caps a repetition's expansion
])
def test_a_pattern_re2_cannot_run_is_refused_with_the_reason(pattern: str, reason: str) -> None:
    with pytest.raises(FilterSpecError) as caught:
        compile_filters([{"field": "$.x", "op": "matches", "value": pattern}])
    (location, message), = caught.value.problems
    assert location == (0, "value")
    assert message.startswith(f"bad regular expression {pattern!r}: ") and reason in message
    assert message.endswith(f"({HINT})")


def test_a_program_too_big_for_the_memory_bound_is_refused() -> None:
    with pytest.raises(FilterSpecError) as caught:
        compile_filters([{"field": "$.x", "op": "matches", "value": "\\pL{1000}"}])
    assert "pattern too large" in caught.value.problems[0][1]


def test_recipes_validate_names_the_file_and_line_of_an_unsupported_pattern(tree: Any) -> None:
    old = "op: in, value: [BOLETO, PIX]}"
    result = load(tree, RECIPE.replace(old, r'op: matches, value: "(BOLETO)\\1"}', 1), connections=CONNECTIONS)
    assert messages(result) == [R + f":8: bad regular expression '(BOLETO)\\\\1': invalid escape sequence: \\1 "
                                    f"({HINT})"]
    assert result.recipes == {}
