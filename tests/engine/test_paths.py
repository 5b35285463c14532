"""Plain dotted paths take a direct dict walk; it must answer exactly what jsonpath-ng answers."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonpath_ng.ext import parse

from app.engine.paths import MISSING, DottedPath, compile_path, find

DOCS: list[Any] = [
    {"payment": {"id": "pay_1", "value": 0, "status": None, "tags": ["a", "b"], "nested": {"x": {"y": 1}}}},
    {"payment": "not an object"},
    {"payment": ["pay_1", {"id": "in a list"}]},
    {"payment": {"id": ""}, "a-b": {"c": 3}},
    {},
    [],
    "text",
    None,
]

DOTTED = ["$", "$.payment", "$.payment.id", "$.payment.value", "$.payment.status", "$.payment.tags",
          "$.payment.nested.x.y", "$.payment.missing.deeper", '$["payment"].id', "$['payment']['id']",
          "$.a-b.c"]
GENERAL = ["$.payment.tags[0]", "$.payment.*", "$.payment[*].id", "$..id", "$.payment.tags[-1]",
           "$.payment.`this`", "$.payment[?(@.id)]"]


def _reference(expression: str, doc: Any) -> Any:
    matches = parse(expression).find(doc)
    if not matches:
        return MISSING
    return matches[0].value if len(matches) == 1 else [m.value for m in matches]


@pytest.mark.parametrize("expression", DOTTED)
def test_plain_dotted_paths_take_the_fast_walk_and_agree_with_jsonpath_ng(expression: str) -> None:
    compiled = compile_path(expression)
    assert isinstance(compiled, DottedPath)
    for doc in DOCS:
        assert find(compiled, doc) == _reference(expression, doc), (expression, doc)


@pytest.mark.parametrize("expression", GENERAL)
def test_other_paths_stay_with_jsonpath_ng(expression: str) -> None:
    compiled = compile_path(expression)
    assert not isinstance(compiled, DottedPath)
    for doc in DOCS:
        assert find(compiled, doc) == _reference(expression, doc), (expression, doc)


def test_a_null_value_is_found_as_none_and_an_absent_one_is_missing() -> None:
    doc = {"payment": {"status": None}}
    assert find(compile_path("$.payment.status"), doc) is None
    assert find(compile_path("$.payment.id"), doc) is MISSING
    assert find(compile_path("$.payment.status.deeper"), doc) is MISSING


def test_a_dotted_path_still_behaves_as_a_jsonpath() -> None:
    compiled = compile_path("$.payment.id")
    assert [m.value for m in compiled.find({"payment": {"id": "pay_1"}})] == ["pay_1"]
    assert str(compiled) == str(parse("$.payment.id"))


def test_a_compiled_recipe_is_recompiled_when_the_same_id_and_version_hold_another_definition() -> None:
    """Ids repeat across databases (tests, restores): the cache must not hand back a stale spec."""
    from app.engine.compiled import clear_cache, compiled_recipe
    from app.models import Recipe
    from bench.engine_cost import RECIPE

    def recipe(status: str) -> Recipe:
        definition = copy.deepcopy(RECIPE)
        definition["filters"] = [{"field": "$.payment.status", "op": "equals", "value": status}]
        return Recipe(id=1, key=definition["key"], name="r", version=1, definition=definition)

    clear_cache()
    first = compiled_recipe(None, recipe("PENDING"))  # type: ignore[arg-type]
    assert compiled_recipe(None, recipe("PENDING")) is first  # type: ignore[arg-type]
    other = compiled_recipe(None, recipe("RECEIVED"))  # type: ignore[arg-type]
    assert other is not first
    assert other.filters.evaluate({"payment": {"status": "RECEIVED"}}).passed
