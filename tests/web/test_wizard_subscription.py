"""The recurring-contract (and signed-PDF e-mail) automations in the catalogue and the wizard."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import get_session
from app.engine.loader import load_recipe_document
from app.models import Recipe
from tests.web.test_wizard import _start, lookups  # noqa: F401 - a fixture


def test_the_catalogue_lists_the_recurring_contract_automation(operator_client: FlaskClient) -> None:
    page = operator_client.get("/automations/new").get_data(as_text=True)
    assert "Contrato assinado no ZapSign → assinatura mensal no Asaas" in page
    assert 'value="zapsign_signed_to_subscription"' in page
    assert "Criar assinatura" in page  # what it wires, in the page's language
    assert "Documento assinado no ZapSign → contrato assinado por e-mail ao financeiro" in page
    assert 'value="zapsign_signed_contract_to_finance"' in page


def test_the_wizard_builds_the_recurring_contract_automation(
    operator_client: FlaskClient, seeded: dict[str, int], lookups: list[Any], app: Flask  # noqa: F811
) -> None:
    base = _start(operator_client, "zapsign_signed_to_subscription")
    response = operator_client.post(f"{base}/connect", data={
        "trigger_connection": "zapsign", "step_connection_0": "asaas", "step_connection_1": "asaas", "go": "next"})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = operator_client.get(f"{base}/filters").get_data(as_text=True)
    assert "VALOR MENSAL" in page  # the seed's filter, editable
    operator_client.post(f"{base}/filters", data={
        "g0": "1", "g0c0_field": "answers['VALOR MENSAL']", "g0c0_op": "exists", "go": "next"})
    location = response.location
    while not location.endswith("/finish"):
        step = location.rsplit("/", 1)[1]
        assert step in ("filters", "choices", "map"), location
        answer = operator_client.post(location, data={"go": "next"})
        assert answer.status_code == 302, answer.get_data(as_text=True)
        location = answer.location
    page = operator_client.get(f"{base}/map").get_data(as_text=True)
    assert "Periodicidade" in page and "Primeiro vencimento" in page  # the action's labels in pt-BR
    response = operator_client.post(f"{base}/finish", data={"name": "Assinaturas dos contratos", "enabled": "1",
                                                            "go": "save"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        recipe = get_session().scalar(select(Recipe).where(Recipe.name == "Assinaturas dos contratos"))
        assert recipe.enabled and recipe.trigger_key == "zapsign.document_signed"
        step = recipe.definition["steps"][1]
        assert step["action"] == "asaas.create_subscription"
        assert step["input"]["externalReference"] == {"text": "zapsign-doc:{{ document.token }}"}
        assert step["input"]["cycle"]["default"] == "MONTHLY"
        spec, errors = load_recipe_document(recipe.definition, connections={"asaas", "zapsign"})
        assert errors == [] and spec is not None
