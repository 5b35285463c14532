"""Connections are tested against the service on save: refused ones are saved only when confirmed,
and then show as in error wherever they are picked, in pt-BR and English."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import get_session
from app.models import Connection, Recipe
from tests.web.conftest import ASAAS_KEY

SANDBOX = "https://api-sandbox.asaas.com/v3"
REFUSED = {"errors": [{"code": "invalid_access_token", "description": "A chave de API fornecida é inválida"}]}
WRONG_KEY = "$aact_hmlg_chave-errada-0000000000000000000000000000"
FORM = {"name": "Asaas financeiro", "f_api_key": WRONG_KEY, "f_environment": "sandbox"}


@pytest.fixture(autouse=True)
def test_on_save(app: Flask) -> Iterator[responses.RequestsMock]:
    app.config["CONNECTION_TEST_ON_SAVE"] = True
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{SANDBOX}/customers", json=REFUSED, status=401)
        yield mock


def _english(client: FlaskClient) -> FlaskClient:
    client.post("/locale", data={"locale": "en", "next": "/connections"})
    return client


def _rows(app: Flask) -> list[Connection]:
    with app.app_context():
        return list(get_session().scalars(select(Connection)))


def test_a_refused_key_is_not_saved_and_the_page_says_why_in_portuguese(admin_client: FlaskClient,
                                                                         app: Flask) -> None:
    response = admin_client.post("/connections/new?connector=asaas", data=FORM)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Não salva: o serviço recusou a conexão." in page
    assert "O serviço recusou a chave ou a senha" in page
    assert "Resposta do serviço:" in page and "invalid_access_token" in page
    assert 'id="save-anyway"' in page and "Salvar mesmo assim" in page
    assert f'value="{WRONG_KEY}"' in page  # typed in this request: kept for "save anyway"
    assert response.headers["Cache-Control"] == "no-store"
    assert _rows(app) == []


def test_the_same_refusal_in_english(admin_client: FlaskClient, app: Flask) -> None:
    page = _english(admin_client).post("/connections/new?connector=asaas", data=FORM).get_data(as_text=True)
    assert "Not saved: the service refused the connection." in page
    assert "The service refused the key or password" in page
    assert "Save anyway" in page
    assert _rows(app) == []


def test_save_anyway_stores_it_in_error_and_every_picker_flags_it(admin_client: FlaskClient, app: Flask) -> None:
    response = admin_client.post("/connections/new?connector=asaas", data={**FORM, "save_anyway": "1"})
    assert response.status_code == 302
    [row] = _rows(app)
    assert (row.status, row.status_reason) == ("error", "unauthorized")
    assert row.checked_at is not None and "invalid_access_token" in (row.status_message or "")
    listing = admin_client.get("/connections").get_data(as_text=True)
    assert "connection-in-error" in listing and "com erro" in listing
    assert "O serviço recusou a chave ou a senha" in listing
    assert WRONG_KEY not in listing
    assert "connection-in-error" in admin_client.get(f"/connections/{row.id}").get_data(as_text=True)
    english = _english(admin_client).get("/connections").get_data(as_text=True)
    assert "in error" in english and "The service refused the key or password" in english


def test_an_accepted_key_is_saved_as_working(admin_client: FlaskClient, app: Flask,
                                             test_on_save: responses.RequestsMock) -> None:
    test_on_save.replace(responses.GET, f"{SANDBOX}/customers",
                         json={"object": "list", "totalCount": 0, "data": []})
    response = admin_client.post("/connections/new?connector=asaas", data={**FORM, "f_api_key": ASAAS_KEY})
    assert response.status_code == 302
    [row] = _rows(app)
    assert (row.status, row.status_reason) == ("ok", "ok")
    assert "testada e salva" in admin_client.get(response.location).get_data(as_text=True)


def test_an_edit_is_tested_too_and_a_blank_secret_keeps_the_stored_one(admin_client: FlaskClient, app: Flask,
                                                                       test_on_save: responses.RequestsMock) -> None:
    test_on_save.replace(responses.GET, f"{SANDBOX}/customers", json={"object": "list", "data": []})
    admin_client.post("/connections/new?connector=asaas", data={**FORM, "f_api_key": ASAAS_KEY})
    [row] = _rows(app)
    test_on_save.get("https://api.asaas.com/v3/customers", json=REFUSED, status=401)
    edit = {"name": row.name, "f_api_key": "", "f_environment": "production"}
    page = admin_client.post(f"/connections/{row.id}", data=edit).get_data(as_text=True)
    assert "A chave pertence ao outro ambiente" in page  # a sandbox key against production
    assert ASAAS_KEY not in page  # the stored key is never sent back
    [unchanged] = _rows(app)
    assert (unchanged.settings.get("environment"), unchanged.status) == ("sandbox", "ok")
    assert admin_client.post(f"/connections/{row.id}", data={**edit, "save_anyway": "1"}).status_code == 302
    [saved] = _rows(app)
    assert (saved.settings["environment"], saved.status, saved.status_reason) == ("production", "error",
                                                                                   "environment")


def test_the_wizard_picker_and_the_recipe_page_flag_an_account_in_error(
    admin_client: FlaskClient, app: Flask
) -> None:
    admin_client.post("/connections/new?connector=asaas", data={**FORM, "name": "asaas", "save_anyway": "1"})
    with app.app_context():
        session = get_session()
        connection = session.scalar(select(Connection))
        session.add(Recipe(key="r1", name="Cobrança", source="wizard", version=1, trigger_connection_id=connection.id,
                           trigger_key="asaas.payment_created",
                           definition={"key": "r1", "name": "Cobrança", "steps": [],
                                       "trigger": {"connection": "asaas", "event": "asaas.payment_created"}}))
        session.commit()
        recipe_id = session.scalar(select(Recipe.id))
    recipe_page = admin_client.get(f"/automations/{recipe_id}").get_data(as_text=True)
    assert 'id="recipe-accounts"' in recipe_page and "connection-in-error" in recipe_page
    assert "O serviço recusou a chave ou a senha" in recipe_page


def test_the_wizard_picker_flags_it_and_moving_on_needs_a_confirmation(
    operator_client: FlaskClient, seeded: dict[str, int], app: Flask
) -> None:
    from tests.web.test_wizard import _start

    with app.app_context():
        session = get_session()
        zapsign = session.get(Connection, seeded["zapsign"])
        zapsign.status, zapsign.status_reason, zapsign.status_message = "error", "environment", "HTTP 403"
        session.commit()
    base = _start(operator_client, "asaas_charge_to_contract")
    page = operator_client.get(f"{base}/connect").get_data(as_text=True)
    assert 'data-in-error="1"' in page and "⚠ zapsign (com erro)" in page
    assert "A chave pertence ao outro ambiente" in page and 'id="use-in-error"' in page
    choice = {"trigger_connection": "asaas", "step_connection_0": "zapsign", "go": "next"}
    blocked = operator_client.post(f"{base}/connect", data=choice)
    assert blocked.status_code == 200 and "A conta “zapsign” está com erro" in blocked.get_data(as_text=True)
    confirmed = operator_client.post(f"{base}/connect", data={**choice, "use_in_error": "1"})
    assert confirmed.status_code == 302 and confirmed.location.endswith("/filters")


def test_the_collection_wizard_asks_for_the_same_confirmation(
    operator_client: FlaskClient, app: Flask, make_connection: Callable[..., int]
) -> None:
    asaas = make_connection("asaas", "Asaas produção", api_key=ASAAS_KEY)
    make_connection("email", "SMTP financeiro", host="127.0.0.1", port=2525, security="none",
                    from_address="financeiro@example.com")
    with app.app_context():
        session = get_session()
        session.get(Connection, asaas).status = "error"
        session.get(Connection, asaas).status_reason = "unauthorized"
        session.commit()
    response = operator_client.post("/automations/new", data={"template": "asaas_collection_rule"})
    base = response.location.rsplit("/", 1)[0]
    page = operator_client.get(f"{base}/accounts").get_data(as_text=True)
    assert "⚠ Asaas produção (com erro)" in page and 'id="use-in-error"' in page
    choice = {"payments_connection": "Asaas produção", "email_connection": "SMTP financeiro", "go": "next"}
    blocked = operator_client.post(f"{base}/accounts", data=choice)
    assert blocked.status_code == 200
    assert "A conta “Asaas produção” está com erro (O serviço recusou a chave" in blocked.get_data(as_text=True)
    confirmed = operator_client.post(f"{base}/accounts", data={**choice, "use_in_error": "1"})
    assert confirmed.location.endswith("/steps")
