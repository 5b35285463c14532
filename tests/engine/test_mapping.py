from __future__ import annotations

from typing import Any

import pytest
import yaml

from app.engine import paths
from app.engine.mapping import (
    MappingError,
    MappingErrors,
    MappingSpecError,
    check_required,
    compile_mapping,
)
from tests.engine.conftest import ACTIONS

CREATE_DOCUMENT = ACTIONS["zapsign.create_document_from_template"].input_schema

CHARGE_TO_CONTRACT = yaml.safe_load('''
template_id: "31bfa32c-9427-40ac-9804-187e6f4e7300"
signer_name: {path: "$.customer.name", format: [title]}
signer_email: {path: "$.customer.email", format: [lower]}
variables:
  "NOME COMPLETO": {path: "$.customer.name", format: [upper]}
  "VALOR": {path: "$.payment.value", format: [brl]}
  "VENCIMENTO": {path: "$.payment.dueDate", format: [{date: "%d/%m/%Y"}]}
  "CPF": {path: "$.customer.cpfCnpj", format: [cpf_cnpj]}
  "REFERENCIA": {text: "Cobrança {{ payment.id }} de {{ customer.name }}"}
  "FORMA": {path: "$.payment.billingType", format: [{map: {BOLETO: Boleto, PIX: Pix}, default: "Outro"}]}
external_id: {const: "{{ this is a literal string }}"}
note: {path: "$.payment.description", default: ""}
''')


def test_golden_asaas_payment_created_to_zapsign_input(asaas_event: dict[str, Any]) -> None:
    mapped = compile_mapping(CHARGE_TO_CONTRACT, where="mappings/charge_to_contract.yaml").apply(asaas_event)
    assert mapped == {
        "template_id": "31bfa32c-9427-40ac-9804-187e6f4e7300",
        "signer_name": "Maria Da Silva",
        "signer_email": "maria.silva@example.com",
        "variables": {
            "NOME COMPLETO": "MARIA DA SILVA",
            "VALOR": "R$ 1.234,56",
            "VENCIMENTO": "20/06/2024",
            "CPF": "529.982.247-25",
            "REFERENCIA": "Cobrança pay_080225913252 de maria da silva",
            "FORMA": "Boleto",
        },
        "external_id": "{{ this is a literal string }}",
        "note": "",
    }
    assert mapped.missing == ()
    assert check_required(mapped, CREATE_DOCUMENT, mapped.missing) == []


def test_missing_value_is_omitted_never_none_and_recorded(asaas_event: dict[str, Any]) -> None:
    del asaas_event["customer"]["email"]
    mapped = compile_mapping(CHARGE_TO_CONTRACT, where="m").apply(asaas_event)
    assert "signer_email" not in mapped
    assert mapped.missing == (("signer_email", "$.customer.email"),)


def test_missing_required_value_names_target_and_source(asaas_event: dict[str, Any]) -> None:
    asaas_event["customer"]["name"] = None
    mapping = compile_mapping({"template_id": "t", "signer_name": {"path": "$.customer.name"}}, where="m")
    mapped = mapping.apply(asaas_event)
    errors = check_required(mapped, CREATE_DOCUMENT, mapped.missing)
    assert [str(e) for e in errors] == [
        "signer_name: required, but $.customer.name has no value in this event"]
    assert (errors[0].target, errors[0].source) == ("signer_name", "$.customer.name")


def test_a_template_variable_with_no_value_fails_naming_field_and_source(asaas_event: dict[str, Any]) -> None:
    del asaas_event["customer"]["email"]
    fields = {**CHARGE_TO_CONTRACT, "variables": {**CHARGE_TO_CONTRACT["variables"],
                                                  "EMAIL": {"path": "$.customer.email", "format": ["lower"]}}}
    mapped = compile_mapping(fields, where="m").apply(asaas_event)
    assert "EMAIL" not in mapped["variables"]
    errors = check_required(mapped, CREATE_DOCUMENT, mapped.missing)
    # signer_email is an optional input the schema declares: left out. EMAIL exists only because
    # the mapping names it in the free-form variables: its absence would leave {{EMAIL}} in the contract.
    assert [str(e) for e in errors] == ['variables.EMAIL: $.customer.email has no value in this event; give '
                                        'the field a default (default: "" if a blank is fine)']
    assert (errors[0].target, errors[0].source) == ("variables.EMAIL", "$.customer.email")
    joined = MappingErrors(errors)
    assert isinstance(joined, MappingError) and str(joined).startswith("variables.EMAIL")


@pytest.mark.parametrize("expression", [
    {"path": "$.customer.email", "default": ""},
    {"path": "$.customer.email", "format": ["lower", {"default": ""}]},
    {"text": "{{ customer.email }}", "default": ""},
    {"text": "{{ customer.email }}", "format": [{"default": ""}]},
])
def test_a_default_says_a_blank_variable_is_fine(asaas_event: dict[str, Any], expression: dict[str, Any]) -> None:
    del asaas_event["customer"]["email"]
    mapped = compile_mapping({"template_id": "t", "signer_name": "Ana", "variables": {"EMAIL": expression}},
                             where="m").apply(asaas_event)
    assert mapped == {"template_id": "t", "signer_name": "Ana", "variables": {"EMAIL": ""}}
    assert mapped.missing == ()
    assert check_required(mapped, CREATE_DOCUMENT, mapped.missing) == []


def test_a_default_formatter_formats_what_follows_it_and_skips_what_precedes() -> None:
    mapping = compile_mapping({"a": {"path": "$.x", "format": [{"date": "%d/%m/%Y"}, {"default": "0"}, "brl"]},
                               "b": {"path": "$.x", "format": ["upper", {"default": "sem"}]}}, where="m")
    assert mapping.apply({}) == {"a": "R$ 0,00", "b": "sem"}
    assert mapping.apply({"x": None}) == {"a": "R$ 0,00", "b": "sem"}


def test_every_missing_placeholder_of_a_text_variable_is_named(asaas_event: dict[str, Any]) -> None:
    del asaas_event["customer"]["name"], asaas_event["payment"]["id"]
    fields = {"template_id": "t", "signer_name": "Ana",
              "variables": {"REF": {"text": "{{ payment.id }} de {{ customer.name }}"}}}
    mapped = compile_mapping(fields, where="m").apply(asaas_event)
    assert [(e.target, e.source) for e in check_required(mapped, CREATE_DOCUMENT, mapped.missing)] == [
        ("variables.REF", "$.payment.id"), ("variables.REF", "$.customer.name")]


@pytest.mark.parametrize(("schema", "declared"), [
    ({"properties": {"a": {"type": "object", "properties": {"b": {}}}}}, True),
    ({"properties": {"a": {"type": "object", "additionalProperties": {"type": "string"}}}}, False),
    ({"properties": {"a": {"type": "object"}}}, False),
    ({"properties": {"a": {"$ref": "#/$defs/a"}}, "$defs": {"a": {"properties": {"b": {}}}}}, True),
    ({"properties": {"a": {"anyOf": [{"type": "string"}, {"properties": {"b": {}}}]}}}, True),
])
def test_only_keys_the_schema_leaves_free_must_have_a_value(schema: dict[str, Any], declared: bool) -> None:
    mapped = compile_mapping({"a": {"b": {"path": "$.nothing"}}}, where="m").apply({})
    errors = check_required(mapped, {"type": "object", **schema}, mapped.missing)
    assert [(e.target, e.source) for e in errors] == ([] if declared else [("a.b", "$.nothing")])


def test_a_missing_list_item_is_left_out() -> None:
    schema = {"type": "object", "properties": {"to": {"type": "array", "items": {"type": "string"}}}}
    mapped = compile_mapping({"to": ["a@example.com", {"path": "$.cc"}]}, where="m").apply({})
    assert mapped == {"to": ["a@example.com"]}
    assert check_required(mapped, schema, mapped.missing) == []
    # Callers that pass plain (target, source) pairs get the same answer.
    assert check_required({"v": {}}, {"type": "object", "properties": {"v": {"type": "object"}}},
                          [("v.NOME COMPLETO", "$.name")])[0].target == "v.NOME COMPLETO"


def test_schema_errors_are_all_reported_with_their_source(asaas_event: dict[str, Any]) -> None:
    mapping = compile_mapping({"signer_name": {"path": "$.payment.value"},
                               "signer_email": {"path": "$.payment.id"}}, where="m")
    mapped = mapping.apply(asaas_event)
    assert [str(e) for e in check_required(mapped, CREATE_DOCUMENT, mapped.missing)] == [
        "signer_email: 'pay_080225913252' is not a 'email' (from $.payment.id)",
        "signer_name: 1234.56 is not of type 'string' (from $.payment.value)",
        "template_id: required, but the mapping does not set it",
    ]


def test_formatter_error_names_target_source_and_formatter(asaas_event: dict[str, Any]) -> None:
    asaas_event["customer"]["cpfCnpj"] = "11111111111"
    with pytest.raises(MappingErrors) as caught:
        compile_mapping(CHARGE_TO_CONTRACT, where="m").apply(asaas_event)
    error = caught.value.errors[0]
    assert (error.target, error.source) == ("variables.CPF", "$.customer.cpfCnpj")
    assert str(error) == ("variables.CPF: formatter cpf_cnpj failed on $.customer.cpfCnpj: "
                          "'11111111111' is not a valid CPF (check digits do not match)")


def test_several_matches_give_a_list_and_one_match_a_value() -> None:
    doc = {"items": [{"sku": "A"}, {"sku": "B"}], "one": [{"sku": "C"}]}
    mapping = compile_mapping({"skus": {"path": "$.items[*].sku", "format": [{"join": "+"}]},
                               "all": {"path": "$.items[*].sku"}, "single": {"path": "$.one[*].sku"}},
                              where="m")
    assert mapping.apply(doc) == {"skus": "A+B", "all": ["A", "B"], "single": "C"}


def test_earlier_step_outputs_are_read_under_steps(asaas_event: dict[str, Any]) -> None:
    mapping = compile_mapping({"token": {"path": "$.steps.contract.token"}, "list": [1, {"const": {"a": 1}}]},
                              where="m")
    assert mapping.apply({**asaas_event, "steps": {"contract": {"token": "abc"}}}) == {
        "token": "abc", "list": [1, {"a": 1}]}
    assert [ref[2] for ref in mapping.step_references()] == ["contract"]


def test_paths_are_parsed_once_per_expression(monkeypatch: pytest.MonkeyPatch,
                                              asaas_event: dict[str, Any]) -> None:
    calls: list[str] = []
    real_parse = paths.parse

    def counting_parse(expression: str) -> Any:
        calls.append(expression)
        return real_parse(expression)

    monkeypatch.setattr(paths, "parse", counting_parse)
    monkeypatch.setattr(paths, "_CACHE", {})
    fields = {"a": {"path": "$.customer.name"}, "b": {"path": "$.customer.name", "format": ["upper"]},
              "c": {"text": "{{ customer.name }} {{ payment.id }}"}}
    mapping = compile_mapping(fields, where="m")
    compile_mapping(fields, where="again")
    for _ in range(3):
        mapping.apply(asaas_event)
    assert calls == ["$.customer.name", "$.payment.id"]  # placeholders become the same cached paths


def test_compile_reports_every_problem_with_target_and_location() -> None:
    with pytest.raises(MappingSpecError) as caught:
        compile_mapping({
            "a": {"path": "$.x[", "format": ["upper"]},
            "b": {"path": "$.x", "format": ["shout"]},
            "c": {"path": "$.x", "const": 1},
            "d": "Olá {{ customer.name }}",
            "e": {"text": "{{ not a path }}"},
            "nested": {"f": {"path": "$.y", "bogus": 1}},
        }, where="m")
    assert [(e.target, e.location) for e in caught.value.errors] == [
        ("a", ("a", "path")), ("b", ("b", "format", 0)), ("c", ("c",)), ("d", ("d",)), ("e", ("e", "text")),
        ("nested.f", ("nested", "f")),
    ]
    assert str(caught.value.errors[0]).startswith("a: bad JSONPath '$.x[': ")
    assert str(caught.value.errors[3]) == ('d: looks like a template: write {text: "..."} to fill '
                                           'placeholders or {const: "..."} for a literal')


def test_static_check_finds_required_inputs_no_field_sets() -> None:
    schema = ACTIONS["asaas.create_payment"].input_schema
    mapping = compile_mapping({"customer": {"path": "$.payment.customer"}, "value": 10,
                               "callback": {"autoRedirect": True}}, where="m")
    assert [str(e) for e in mapping.unsatisfied_required(schema)] == [
        "billingType: required by the action's input, but the mapping does not set it",
        "dueDate: required by the action's input, but the mapping does not set it",
        "callback.successUrl: required by the action's input, but the mapping does not set it",
    ]
