"""Nothing invalid gets past a step: required fields and template variables, filter values by type."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import get_session
from app.models import Recipe, WizardDraft
from tests.web.test_wizard import TEMPLATE_ID, _start, lookups  # noqa: F401 (fixture)


def _to_map(client: FlaskClient) -> str:
    base = _start(client, "asaas_charge_to_contract")
    client.post(f"{base}/connect", data={"trigger_connection": "asaas", "step_connection_0": "zapsign", "go": "next"})
    client.post(f"{base}/choices", data={"c|0|template_id": TEMPLATE_ID, "go": "next"})
    return base


def test_an_empty_required_template_variable_blocks_next_with_a_message_at_the_field(
    operator_client: FlaskClient, seeded: dict[str, int], lookups: list[Any], app: Flask  # noqa: F811
) -> None:
    base = _to_map(operator_client)
    response = operator_client.post(f"{base}/map", data={
        "v|0|variables.NOME COMPLETO": "", "v|0|variables.CPF": "{{ customer.cpfCnpj }}",
        "v|0|variables.VALOR": "{{ payment.value }}", "v|0|signer_name": "{{ customer.name }}", "go": "next"})
    assert response.status_code == 200  # the same screen again, not the next one
    page = response.get_data(as_text=True)
    assert '<small class="error field-error" id="err-0|variables.NOME COMPLETO" role="alert">' \
           "Obrigatório: digite um valor ou insira um campo do evento.</small>" in page
    assert "1 campo(s) precisam de atenção" in page
    assert 'aria-invalid="true"' in page
    # What was typed is kept; filling it in moves on.
    with app.app_context():
        draft = get_session().get(WizardDraft, base.rsplit("/", 1)[1]).data
        assert draft["document"]["steps"][0]["input"]["signer_name"] == {"path": "$.customer.name"}
    moved = operator_client.post(f"{base}/map", data={
        "v|0|variables.NOME COMPLETO": "{{ customer.name }}", "v|0|variables.CPF": "{{ customer.cpfCnpj }}",
        "v|0|variables.VALOR": "{{ payment.value }}", "v|0|signer_name": "{{ customer.name }}", "go": "next"})
    assert moved.status_code == 302 and moved.location.endswith("/finish")


def test_save_is_refused_while_a_required_field_is_empty(
    operator_client: FlaskClient, seeded: dict[str, int], lookups: list[Any], app: Flask  # noqa: F811
) -> None:
    base = _to_map(operator_client)
    operator_client.post(f"{base}/map", data={"v|0|variables.NOME COMPLETO": "", "v|0|signer_name": "x",
                                              "go": "back"})  # "back" is never blocked
    operator_client.post("/locale", data={"locale": "en"})
    response = operator_client.post(f"{base}/finish", data={"name": "Sem nome", "enabled": "0", "go": "save"})
    assert response.status_code == 200
    assert "Some required fields are empty: fill them in on the “Fields” step first." in response.get_data(as_text=True)
    with app.app_context():
        assert get_session().scalar(select(Recipe).where(Recipe.name == "Sem nome")) is None


def test_a_filter_value_that_is_not_its_type_is_refused_at_the_filter_step(
    operator_client: FlaskClient, seeded: dict[str, int], lookups: list[Any]  # noqa: F811
) -> None:
    base = _start(operator_client, "asaas_charge_to_contract")
    form = {"mode": "all", "row-0": "c", "field-0": "$.payment.value", "op-0": "greater_or_equal", "value-0": "abc",
            "row-1": "c", "field-1": "$.payment.dueDate", "op-1": "before", "value-1": "32/13/2025",
            "row-2": "c", "field-2": "$.payment.status", "op-2": "in",
            "row-3": "c", "field-3": "__other", "path-3": "payment.netValue", "op-3": "less", "value-3": "xyz",
            "type-3": "number", "go": "next"}
    response = operator_client.post(f"{base}/filters", data=form)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "“abc” não é um número: digite como 1.234,56." in page
    assert "“32/13/2025” não é uma data: digite como 31/12/2025 (ou hoje-3d)." in page
    assert "Escolha um ou mais valores." in page
    assert "“xyz” não é um número (por exemplo 1.234,56)." in page  # the advanced path keeps the engine's reading
    assert "cannot be read as" not in page
    fixed = {**form, "value-0": "1.000,00", "value-1": "hoje+3d", "value-2": ["PENDING", "OVERDUE"], "value-3": "10"}
    assert operator_client.post(f"{base}/filters", data=fixed).status_code == 302
    adding = operator_client.post(f"{base}/filters", data={**form, "go": "", "edit": "add"})
    assert adding.status_code == 302  # "+ condition" is never blocked


def test_an_account_in_error_cannot_be_picked_to_move_on(
    operator_client: FlaskClient, seeded: dict[str, int], app: Flask
) -> None:
    from app.models import Connection

    with app.app_context():
        session = get_session()
        connection = session.get(Connection, seeded["zapsign"])
        connection.status, connection.status_message = "error", "O ZapSign recusou o token da API."
        session.commit()
    base = _start(operator_client, "asaas_charge_to_contract")
    page = operator_client.get(f"{base}/connect").get_data(as_text=True)
    assert "zapsign (com erro)" in page  # shown as in error where it is picked
    response = operator_client.post(f"{base}/connect", data={
        "trigger_connection": "asaas", "step_connection_0": "zapsign", "go": "next"})
    assert response.status_code == 200
    assert ("A conta “zapsign” está com erro (O ZapSign recusou o token da API.): corrija-a na página da conexão, "
            "ou escolha outra.") in response.get_data(as_text=True)
    back = operator_client.post(f"{base}/connect", data={"trigger_connection": "asaas", "go": "back"})
    assert back.status_code in (200, 302)  # going back is never blocked by it
