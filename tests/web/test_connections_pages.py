"""Connection pages: the form comes from the auth schema and never echoes a secret."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from app.db import get_session
from app.models import Connection
from tests.web.conftest import ASAAS_KEY


def _create(admin_client: FlaskClient) -> int:
    response = admin_client.post("/connections/new?connector=asaas", data={
        "name": "Asaas produção", "f_api_key": ASAAS_KEY, "f_environment": "sandbox"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.location.rstrip("/").rsplit("/", 1)[1])


def test_form_fields_come_from_the_auth_schema(admin_client: FlaskClient) -> None:
    page = admin_client.get("/connections/new?connector=zapsign").get_data(as_text=True)
    assert 'name="f_api_token" placeholder="" type="password"' in page or 'type="password"' in page
    assert 'name="f_environment"' in page and "<select" in page


def test_connection_form_never_echoes_a_secret(admin_client: FlaskClient, app: Flask) -> None:
    connection_id = _create(admin_client)
    with app.app_context():
        connection = get_session().get(Connection, connection_id)
        webhook_token = connection.get_credentials()["webhook_token"]
    page = admin_client.get(f"/connections/{connection_id}").get_data(as_text=True)
    assert ASAAS_KEY not in page and webhook_token not in page
    assert "(definido)" in page  # pt-BR: "••••• (definido) — deixe em branco para manter"
    assert f"/webhooks/{connection.uid}" in page
    assert "Token de autenticação" in page  # the connector's own instructions, in pt-BR


def test_blank_secret_keeps_the_stored_one(admin_client: FlaskClient, app: Flask) -> None:
    connection_id = _create(admin_client)
    response = admin_client.post(f"/connections/{connection_id}", data={
        "name": "Asaas renomeada", "f_api_key": "", "f_environment": "production"})
    assert response.status_code == 302
    with app.app_context():
        connection = get_session().get(Connection, connection_id)
        assert connection.name == "Asaas renomeada"
        assert connection.settings["environment"] == "production"
        assert connection.get_credentials()["api_key"] == ASAAS_KEY


def test_invalid_field_is_reported_on_the_form_and_the_typed_key_survives(admin_client: FlaskClient) -> None:
    response = admin_client.post("/connections/new?connector=asaas", data={
        "name": "x", "f_api_key": ASAAS_KEY, "f_webhook_token": "short"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "f_webhook_token" in page
    # The key typed in this very submission comes back (once, in its own input), never cached.
    assert page.count(ASAAS_KEY) == 1 and f'value="{ASAAS_KEY}"' in page
    assert response.headers["Cache-Control"] == "no-store"


def test_an_edit_with_an_invalid_field_never_echoes_the_stored_key(admin_client: FlaskClient) -> None:
    connection_id = _create(admin_client)
    response = admin_client.post(f"/connections/{connection_id}", data={
        "name": "Asaas produção", "f_api_key": "", "f_environment": "sandbox", "f_webhook_token": "short"})
    assert response.status_code == 200
    assert ASAAS_KEY not in response.get_data(as_text=True)


def test_reveal_shows_the_webhook_secret_to_admins_uncached(admin_client: FlaskClient, app: Flask) -> None:
    connection_id = _create(admin_client)
    with app.app_context():
        token = get_session().get(Connection, connection_id).get_credentials()["webhook_token"]
    response = admin_client.post(f"/connections/{connection_id}/reveal")
    assert token in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_test_button_shows_the_connector_answer(admin_client: FlaskClient, app: Flask) -> None:
    connection_id = _create(admin_client)
    admin_client.post(f"/connections/{connection_id}", data={
        "name": "Asaas produção", "f_base_url": "http://127.0.0.1:9/v3", "f_environment": "sandbox"})
    response = admin_client.post(f"/connections/{connection_id}/test")
    assert response.status_code == 200
    assert 's-error' in response.get_data(as_text=True)
    with app.app_context():
        assert get_session().get(Connection, connection_id).status == "error"


def test_the_built_in_schedule_is_not_offered_as_a_connection(admin_client: FlaskClient) -> None:
    choose = admin_client.get("/connections/new").get_data(as_text=True)
    assert "connector=asaas" in choose and "connector=schedule" not in choose
    assert admin_client.get("/connections/new?connector=schedule").status_code == 404
