"""The wizard: from the catalogue to a saved, enabled recipe that the engine accepts."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import get_session
from app.engine.loader import load_recipe_document
from app.models import Recipe
from app.web import drafts, wizard_data

TEMPLATE_ID = "31bfa32c-9427-40ac-9804-187e6f4e7300"


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """The ZapSign lookups answer like a live account (no network)."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def fake(connection: Any, key: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        calls.append((key, params))
        if key == "templates":
            return [{"value": TEMPLATE_ID, "label": "Contrato de prestação de serviços", "active": True}]
        return [{"value": "NOME COMPLETO", "label": "Nome completo", "required": True},
                {"value": "CPF", "label": "CPF", "required": True},
                {"value": "VALOR", "label": "Valor", "required": True}]

    monkeypatch.setattr(wizard_data, "run_lookup", fake)
    return calls


def _start(client: FlaskClient, template: str) -> str:
    response = client.post("/automations/new", data={"template": template})
    assert response.status_code == 302
    return response.location.rsplit("/", 1)[0]


def test_wizard_creates_an_enabled_recipe_the_engine_accepts(
    operator_client: FlaskClient, seeded: dict[str, int], lookups: list[Any], app: Flask
) -> None:
    base = _start(operator_client, "asaas_charge_to_contract")
    assert operator_client.post(f"{base}/connect", data={
        "trigger_connection": "asaas", "step_connection_0": "zapsign", "go": "next"}).location == f"{base}/filters"
    page = operator_client.get(f"{base}/filters").get_data(as_text=True)
    assert '<option value="$.payment.billingType" selected>' in page  # the seed recipe's filters, editable
    operator_client.post(f"{base}/filters", data={
        "mode": "all", "row-0": "c", "field-0": "$.payment.value", "op-0": "greater_or_equal", "value-0": "100,00",
        "go": "next"})
    page = operator_client.get(f"{base}/choices").get_data(as_text=True)
    assert "Contrato de prestação de serviços" in page and 'name="c|0|template_id"' in page
    operator_client.post(f"{base}/choices", data={"c|0|template_id": TEMPLATE_ID, "go": "next"})
    page = operator_client.get(f"{base}/map").get_data(as_text=True)
    assert 'data-insert="{{ customer.name }}"' in page  # chips from the trigger's sample
    assert "Nome completo" in page and 'class="req"' in page
    preview = operator_client.post(f"{base}/preview", data={
        "v|0|variables.NOME COMPLETO": "{{ customer.name }}", "f|0|variables.NOME COMPLETO": '["upper"]',
        "v|0|variables.CPF": "{{ customer.cpfCnpj }}", "f|0|variables.CPF": '["cpf_cnpj"]',
        "v|0|variables.VALOR": "{{ payment.value }}", "f|0|variables.VALOR": '["brl"]',
        "v|0|signer_name": "Sr(a). {{ customer.name }}", "v|0|lang": "pt-br"}).get_data(as_text=True)
    # The preview runs on the last real event of this connection (the seeded run), not the sample.
    assert "No último evento real" in preview
    assert "MARINA COSTA" in preview and "R$ 1.234,56" in preview and "Sr(a). Marina Costa" in preview
    assert "variables.CPF" in preview  # that event has no CPF: the problem is named
    operator_client.post(f"{base}/map", data={"go": "next"})
    # The seeded "Cobrança → contrato" already makes contracts from this account's charges: warned, not saved.
    refused = operator_client.post(f"{base}/finish", data={"name": "Contrato automático", "enabled": "1",
                                                           "go": "save"})
    assert refused.status_code == 200
    page = refused.get_data(as_text=True)
    assert "Cobrança → contrato" in page and f'href="/automations/{seeded["recipe"]}"' in page
    with app.app_context():
        assert get_session().scalar(select(Recipe).where(Recipe.name == "Contrato automático")) is None
    response = operator_client.post(f"{base}/finish", data={"name": "Contrato automático", "enabled": "1",
                                                            "confirm_duplicate": str(seeded["recipe"]),
                                                            "go": "save"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        recipe = get_session().scalar(select(Recipe).where(Recipe.name == "Contrato automático"))
        assert recipe.source == "wizard" and recipe.enabled and recipe.key == "contrato_automatico"
        step_input = recipe.definition["steps"][0]["input"]
        assert step_input["template_id"] == TEMPLATE_ID
        assert step_input["variables"]["NOME COMPLETO"] == {"path": "$.customer.name", "format": ["upper"]}
        assert step_input["signer_name"] == {"text": "Sr(a). {{ customer.name }}"}
        assert recipe.definition["filters"] == [{"field": "$.payment.value", "op": "greater_or_equal",
                                                 "value": 100, "type": "number"}]
        spec, errors = load_recipe_document(recipe.definition, connections={"asaas", "zapsign"})
        assert errors == [] and spec is not None
    page = operator_client.get(response.location).get_data(as_text=True)
    assert "ativada" in page and "template_id: " + TEMPLATE_ID in page
    download = operator_client.get(f"{response.location}/recipe.yaml")
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_draft_survives_a_reload_and_filters_add_groups(
    operator_client: FlaskClient, seeded: dict[str, int], lookups: list[Any]
) -> None:
    base = _start(operator_client, "asaas_charge_to_contract")
    operator_client.post(f"{base}/filters", data={"mode": "all", "row-0": "c", "field-0": "$.payment.status",
                                                  "op-0": "equals", "value-0": "PENDING", "edit": "add-group"})
    page = operator_client.get(f"{base}/filters").get_data(as_text=True)
    assert page.count('<fieldset class="group"') == 1 and '<option value="PENDING" selected>' in page
    assert 'name="row-1-1"' in page  # the new group comes with two rows to fill


def test_saving_without_a_name_shows_an_error(
    operator_client: FlaskClient, seeded: dict[str, int], lookups: list[Any]
) -> None:
    base = _start(operator_client, "asaas_charge_to_contract")
    response = operator_client.post(f"{base}/finish", data={"name": "", "go": "save"})
    assert response.status_code == 200
    assert "Dê um nome à automação." in response.get_data(as_text=True)


def test_invalid_recipe_shows_the_engine_errors(
    operator_client: FlaskClient, seeded: dict[str, int], lookups: list[Any]
) -> None:
    base = _start(operator_client, "asaas_charge_to_contract")
    operator_client.post(f"{base}/connect", data={"trigger_connection": "nope", "step_connection_0": "zapsign"})
    response = operator_client.post(f"{base}/finish", data={"name": "Quebrada", "go": "save"})
    assert response.status_code == 200
    assert "nope" in response.get_data(as_text=True)


def test_another_users_draft_is_not_found(
    operator_client: FlaskClient, admin_client: FlaskClient, seeded: dict[str, int]
) -> None:
    base = _start(operator_client, "blank")
    assert admin_client.get(f"{base}/trigger").status_code == 404


def test_file_recipes_are_edited_in_their_file_but_switched_off_here(
    operator_client: FlaskClient, seeded: dict[str, int], app: Flask, operator: Any
) -> None:
    with app.app_context():
        session = get_session()
        recipe = session.get(Recipe, seeded["recipe"])
        recipe.source, recipe.source_path = "file", "recipes/charge_contract.yaml"
        session.commit()
    assert operator_client.post(f"/automations/{seeded['recipe']}/edit").status_code == 403
    page = operator_client.get(f"/automations/{seeded['recipe']}").get_data(as_text=True)
    assert "Gerenciada pelo arquivo recipes/charge_contract.yaml" in page and ">Desativar</button>" in page
    answer = operator_client.post(f"/automations/{seeded['recipe']}/enabled", data={"enabled": "0"})
    assert answer.status_code == 302
    with app.app_context():
        recipe = get_session().get(Recipe, seeded["recipe"])
        assert not recipe.enabled and recipe.switched_by_id == operator.id and recipe.switched_at is not None
    page = operator_client.get(f"/automations/{seeded['recipe']}").get_data(as_text=True)
    assert "Desativada por " in page  # who switched it, and when


def test_recipe_pages_name_the_trigger_in_words(operator_client: FlaskClient, seeded: dict[str, int]) -> None:
    listing = operator_client.get("/automations").get_data(as_text=True)
    assert '<span title="asaas.payment_created">Asaas: Nova cobrança criada</span>' in listing
    operator_client.post("/locale", data={"locale": "en", "next": "/automations"})
    assert "Asaas: New payment created" in operator_client.get("/automations").get_data(as_text=True)
    detail = operator_client.get(f"/automations/{seeded['recipe']}").get_data(as_text=True)
    assert "Asaas: New payment created" in detail and "<code>asaas.payment_created</code>" in detail


def test_accounts_and_fields_steps_name_the_action_not_its_key(
    operator_client: FlaskClient, seeded: dict[str, int], lookups: list[Any]
) -> None:
    base = _start(operator_client, "blank")
    operator_client.post(f"{base}/trigger", data={"event": "asaas.payment_created",
                                                  "action": "zapsign.create_document_from_template", "go": "next"})
    page = operator_client.get(f"{base}/connect").get_data(as_text=True)
    assert "Passo 1: Criar documento a partir de modelo — ZapSign" in page


def test_expression_round_trip() -> None:
    assert drafts.form_to_expr("{{ customer.name }}", '["upper"]') == {"path": "$.customer.name", "format": ["upper"]}
    assert drafts.form_to_expr("Oi {{ customer.name }}") == {"text": "Oi {{ customer.name }}"}
    assert drafts.form_to_expr("true", schema={"type": "boolean"}) is True
    assert drafts.form_to_expr("") is None
    form = drafts.expr_to_form({"path": "$.payment.description", "default": "Serviços"})
    assert form["text"] == "{{ payment.description }}"
    assert drafts.form_to_expr(form["text"], form["format"], form["extras"]) == {
        "path": "$.payment.description", "default": "Serviços"}
    assert drafts.flatten({"a": {"b": 1, "c": [{"d": "x"}]}, "NOME COMPLETO": "y"}) == [
        ("a.b", "1"), ("a.c[0].d", "x"), ("$['NOME COMPLETO']", "y")]
