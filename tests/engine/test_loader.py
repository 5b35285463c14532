from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from app.engine.loader import LoadError, LoadResult, load_recipe_document, load_recipes
from app.engine.regex import HINT
from tests.engine.conftest import FakeRegistry

MAPPING = """\
key: charge_to_contract
action: zapsign.create_document_from_template
fields:
  template_id: "31bfa32c-9427-40ac-9804-187e6f4e7300"
  signer_name: {path: "$.customer.name"}
  variables:
    "VALOR": {path: "$.payment.value", format: [brl]}
"""

RECIPE = """\
key: charge_to_contract
name: "Cobrança criada → contrato ZapSign"
trigger:
  connection: asaas-sandbox
  event: asaas.payment_created
  options: {billing_types: [BOLETO]}
filters:
  - {field: "$.payment.billingType", op: in, value: [BOLETO, PIX]}
  - {field: "$.payment.value", op: greater_or_equal, value: "100,00", type: number}
steps:
  - key: contract
    action: zapsign.create_document_from_template
    connection: zapsign-sandbox
    mapping: charge_to_contract
  - key: charge
    action: asaas.create_payment
    connection: asaas-sandbox
    input:
      customer: {path: "$.customer.id"}
      billingType: PIX
      value: {path: "$.payment.value"}
      dueDate: {path: "$.payment.dueDate"}
      description: {text: "Contrato {{ steps.contract.token }}"}
"""
CONNECTIONS = {"asaas-sandbox", "zapsign-sandbox"}
R, M = "recipes/charge_to_contract.yaml", "mappings/charge_to_contract.yaml"


def load(tree: Any, recipe: str = RECIPE, mapping: str = MAPPING, **kwargs: Any) -> LoadResult:
    recipes_dir, mappings_dir = tree(recipes={"charge_to_contract": recipe},
                                     mappings={"charge_to_contract": mapping})
    return load_recipes(recipes_dir, mappings_dir, registry=FakeRegistry(), **kwargs)


def messages(result: LoadResult) -> list[str]:
    return [str(e) for e in result.errors]


def test_a_valid_recipe_loads_with_compiled_steps_and_its_document(tree: Any,
                                                                   asaas_event: dict[str, Any]) -> None:
    result = load(tree, connections=CONNECTIONS)
    assert result.errors == []
    spec = result.recipes["charge_to_contract"]
    assert (spec.trigger.event, spec.enabled, spec.source) == ("asaas.payment_created", True,
                                                               "recipes/charge_to_contract.yaml")
    assert [(s.key, s.mapping_key) for s in spec.steps] == [("contract", "charge_to_contract"),
                                                           ("charge", None)]
    assert spec.retry == {"max_attempts": 6, "base_delay_seconds": 60, "max_delay_seconds": 7200}
    assert spec.document["steps"][1]["input"]["billingType"] == "PIX"
    assert spec.filters.evaluate(asaas_event).passed
    assert spec.steps[0].mapping.apply(asaas_event)["variables"] == {"VALOR": "R$ 1.234,56"}
    assert set(result.mappings) == {"charge_to_contract"}


def test_load_error_reads_file_colon_line() -> None:
    assert str(LoadError("recipes/x.yaml", 12, "boom")) == "recipes/x.yaml:12: boom"
    assert str(LoadError("recipe x v2", None, "boom")) == "recipe x v2: boom"


@pytest.mark.parametrize(("old", "new", "expected"), [
    pytest.param("  event: asaas.payment_created\n", "  event: [asaas.payment_created\n",
                 R + ":6: YAML syntax error: expected ',' or ']', but got ':'",
                 id="yaml-syntax"),
    pytest.param("steps:\n", "name: again\nsteps:\n",
                 R + ":10: duplicate key 'name' (first defined on line 2)",
                 id="duplicate-key"),
    pytest.param("  connection: asaas-sandbox\n  event", "  connection: 42\n  event",
                 R + ":4: trigger.connection: 42 is not of type 'string'",
                 id="schema-type"),
    pytest.param("    connection: zapsign-sandbox\n", "    connection: zapsign-sandbox\n    retries: 3\n",
                 R + ":11: steps.0: Additional properties are not allowed ('retries' "
                 "was unexpected); allowed: key, action, connection, mapping, input",
                 id="schema-unknown-key"),
    pytest.param("action: asaas.create_payment", "action: asaas.create_paymnt",
                 R + ":16: unknown action 'asaas.create_paymnt'; valid actions: "
                 "zapsign.create_document_from_template, asaas.create_payment", id="unknown-action"),
    pytest.param("event: asaas.payment_created", "event: asaas.payment_deleted",
                 R + ":5: unknown trigger 'asaas.payment_deleted'; valid triggers: "
                 "asaas.payment_created, zapsign.document_signed", id="unknown-trigger"),
    pytest.param("[BOLETO]}", "[TED]}",
                 R + ":6: trigger options: billing_types.0: 'TED' is not one of "
                 "['BOLETO', 'PIX', 'CREDIT_CARD']", id="trigger-options"),
    pytest.param('"$.payment.value", op', '"$.payment.value[", op',
                 R + ":9: bad JSONPath '$.payment.value[': Parse error near the end "
                 "of string!", id="bad-jsonpath"),
    pytest.param("op: in", "op: among",
                 R + ":8: filters.0.op: unknown operator 'among'; valid operators: "
                 "equals, not_equals, contains, not_contains, starts_with, ends_with, not_starts_with, not_ends_with, "
                 "in, not_in, greater, "
                 "greater_or_equal, less, less_or_equal, between, before, after, is_true, is_false, matches, "
                 "exists, not_exists, is_empty, not_empty", id="unknown-operator"),
    pytest.param('op: in, value: [BOLETO, PIX]}', 'op: matches, value: "^(BOLETO"}',
                 R + f":8: bad regular expression '^(BOLETO': missing ) ({HINT})", id="bad-regex"),
    pytest.param("mapping: charge_to_contract", "mapping: charge_to_contrat",
                 R + ":14: mapping 'charge_to_contrat' does not exist; known "
                 "mappings: charge_to_contract", id="missing-mapping"),
    pytest.param("      dueDate: {path: \"$.payment.dueDate\"}\n", "",
                 R + ":18: dueDate: required by the action's input, but the mapping "
                 "does not set it (asaas.create_payment)",
                 id="required-input-not-mapped"),
    pytest.param("steps.contract.token", "steps.charge.token",
                 R + ":23: description: $.steps.charge.token reads step 'charge', "
                 "which does not run before step 'charge' (earlier steps: contract)",
                 id="forward-step-reference"),
    pytest.param("key: charge_to_contract\nname", "key: charge_to_contracts\nname",
                 R + ":1: key 'charge_to_contracts' must equal the file name "
                 "'charge_to_contract'", id="key-not-file-stem"),
    pytest.param("  connection: asaas-sandbox\n  event", "  event",
                 R + ":3: trigger.connection is missing: name the asaas connection asaas.payment_created "
                 "comes from", id="trigger-connection-missing"),
    pytest.param("connection: zapsign-sandbox", "connection: zapsign-prod",
                 R + ":13: unknown connection 'zapsign-prod'; known connections: "
                 "asaas-sandbox, zapsign-sandbox", id="unknown-connection"),
    pytest.param("  - key: charge\n", "  - key: contract\n",
                 R + ":15: step key 'contract' is used twice; step keys must be "
                 "unique in a recipe", id="duplicate-step-key"),
])
def test_each_recipe_problem_is_reported_at_its_line(tree: Any, old: str, new: str, expected: str) -> None:
    assert old in RECIPE
    result = load(tree, RECIPE.replace(old, new, 1), connections=CONNECTIONS)
    assert messages(result) == [expected]
    assert result.recipes == {}  # never half-loaded


@pytest.mark.parametrize(("old", "new", "expected"), [
    pytest.param('  signer_name: {path: "$.customer.name"}\n', "",
                 M + ":3: signer_name: required by the action's input, but the "
                 "mapping does not set it (zapsign.create_document_from_template)",
                 id="required-input-not-mapped"),
    pytest.param("format: [brl]", "format: [reais]",
                 M + ":7: variables.VALOR: unknown formatter 'reais'; valid "
                 "formatters: brl, number_br, number, integer, string, date, upper, lower, title, trim, "
                 "digits, cpf_cnpj, phone_br, default, join, map, truncate, split, first, last",
                 id="unknown-formatter"),
])
def test_mapping_problems_point_at_the_mapping_file(tree: Any, old: str, new: str, expected: str) -> None:
    assert old in MAPPING
    result = load(tree, mapping=MAPPING.replace(old, new, 1))
    assert expected in messages(result)
    assert result.recipes == {}


def test_a_mapping_written_for_another_action_is_refused(tree: Any) -> None:
    payment_mapping = ("key: charge_to_contract\naction: asaas.create_payment\nfields:\n  customer: c\n"
                       "  billingType: PIX\n  value: 10\n  dueDate: '2024-06-20'\n")
    assert messages(load(tree, mapping=payment_mapping)) == [
        R + ":14: mapping 'charge_to_contract' is written for action "
        "'asaas.create_payment', but this step runs 'zapsign.create_document_from_template'"]


def test_a_broken_mapping_makes_its_recipes_fail_and_says_where(tree: Any) -> None:
    result = load(tree, mapping=MAPPING.replace("format: [brl]", "format: [reais]"))
    assert messages(result)[-1] == (R + ":14: mapping 'charge_to_contract' has "
                                    "errors (see mappings/charge_to_contract.yaml)")


def test_every_problem_in_every_file_is_reported_at_once(tree: Any) -> None:
    other = RECIPE.replace("key: charge_to_contract\n", "key: other\n", 1).replace("op: in", "op: among")
    recipes_dir, mappings_dir = tree(recipes={"charge_to_contract": RECIPE.replace("asaas.create_payment",
                                                                                   "asaas.nope"),
                                              "other": other, "broken": "key: [\n"},
                                     mappings={"charge_to_contract": MAPPING})
    result = load_recipes(recipes_dir, mappings_dir, registry=FakeRegistry())
    assert [(e.file, e.line) for e in result.errors] == [
        ("recipes/broken.yaml", 2), ("recipes/charge_to_contract.yaml", 16), ("recipes/other.yaml", 8)]
    assert result.recipes == {}


def test_connections_are_not_checked_when_unknown(tree: Any) -> None:
    assert load(tree).errors == []


def test_unsafe_yaml_tags_are_refused(tree: Any) -> None:
    unsafe = 'name: !!python/object/apply:os.system ["id"]\nx: "'
    result = load(tree, RECIPE.replace('name: "Cobrança', unsafe))
    assert messages(result)[0] == (R + ":2: unsupported YAML tag "
                                  "tag:yaml.org,2002:python/object/apply:os.system")


def test_database_recipe_document_gets_the_same_checks_without_lines(tree: Any) -> None:
    from app.engine.yamlpos import parse

    recipes_dir, mappings_dir = tree(mappings={"charge_to_contract": MAPPING})
    mappings = load_recipes(recipes_dir, mappings_dir, registry=FakeRegistry()).mappings
    doc = parse(RECIPE).data
    spec, errors = load_recipe_document(doc, source="recipe charge_to_contract v3", mappings=mappings,
                                        registry=FakeRegistry())
    assert errors == [] and spec is not None and spec.key == "charge_to_contract"
    doc["steps"][1]["action"] = "asaas.nope"
    spec, errors = load_recipe_document(doc, source="recipe charge_to_contract v3", mappings=mappings,
                                        registry=FakeRegistry())
    assert spec is None
    assert [str(e) for e in errors] == [
        "recipe charge_to_contract v3: unknown action 'asaas.nope'; valid actions: "
        "zapsign.create_document_from_template, asaas.create_payment"]


def test_missing_directories_load_nothing(tmp_path: Path) -> None:
    result = load_recipes(tmp_path / "recipes", tmp_path / "mappings", registry=FakeRegistry())
    assert (result.recipes, result.errors) == ({}, [])


def test_two_files_claiming_one_recipe_key_are_both_reported(tree: Any) -> None:
    recipes_dir, mappings_dir = tree(recipes={"charge_to_contract": RECIPE, "copy": RECIPE},
                                     mappings={"charge_to_contract": MAPPING})
    result = load_recipes(recipes_dir, mappings_dir, registry=FakeRegistry())
    assert messages(result) == [
        "recipes/copy.yaml:1: key 'charge_to_contract' must equal the file name 'copy'",
        "recipes/copy.yaml:1: recipe key 'charge_to_contract' is also used by "
        "recipes/charge_to_contract.yaml",
    ]
    assert list(result.recipes) == ["charge_to_contract"]


class ClockRegistry(FakeRegistry):
    """The fake registry plus a trigger of a connector that needs no connection, with its own option check."""

    CLOCK = SimpleNamespace(
        options_schema={"type": "object", "properties": {"at": {"type": "string"}}},
        check_options=lambda options: [] if options.get("at", "").count(":") == 1 else [("at", "use HH:MM")])

    def get_trigger(self, qualified: str) -> tuple[Any, Any]:
        if qualified == "clock.tick":
            return SimpleNamespace(key="clock", needs_connection=False), self.CLOCK
        return super().get_trigger(qualified)


CLOCK_RECIPE = """\
key: tick_to_charge
name: Tick
trigger:
  event: clock.tick
  options:
    at: "09:00"
steps:
  - key: charge
    action: asaas.create_payment
    connection: asaas-sandbox
    input: {customer: cus_1, billingType: PIX, value: 10, dueDate: "2025-03-10"}
"""


def test_a_trigger_that_needs_no_connection_loads_without_one(tree: Any) -> None:
    recipes_dir, mappings_dir = tree(recipes={"tick_to_charge": CLOCK_RECIPE})
    result = load_recipes(recipes_dir, mappings_dir, registry=ClockRegistry(), connections=CONNECTIONS)
    assert result.errors == [] and result.recipes["tick_to_charge"].trigger.connection is None


def test_a_trigger_that_needs_no_connection_refuses_one(tree: Any) -> None:
    recipe = CLOCK_RECIPE.replace("  event: clock.tick", "  connection: asaas-sandbox\n  event: clock.tick")
    recipes_dir, mappings_dir = tree(recipes={"tick_to_charge": recipe})
    result = load_recipes(recipes_dir, mappings_dir, registry=ClockRegistry(), connections=CONNECTIONS)
    assert messages(result) == ["recipes/tick_to_charge.yaml:4: clock.tick needs no connection: "
                                "remove trigger.connection"]


def test_a_triggers_own_option_check_is_reported_at_the_option_line(tree: Any) -> None:
    recipes_dir, mappings_dir = tree(recipes={"tick_to_charge": CLOCK_RECIPE.replace('"09:00"', '"9h"')})
    result = load_recipes(recipes_dir, mappings_dir, registry=ClockRegistry(), connections=CONNECTIONS)
    assert messages(result) == ["recipes/tick_to_charge.yaml:6: trigger options: at: use HH:MM"]
