"""``POST/PATCH /api/connections`` test the values against the service before saving them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import responses
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import get_session
from app.models import Connection
from tests.conftest import Person

SANDBOX = "https://api-sandbox.asaas.com/v3"
KEY = "$aact_hmlg_chave-de-teste-da-api-0000000000000000000000"
BODY = {"connector": "asaas", "name": "Asaas API", "config": {"api_key": KEY, "environment": "sandbox"}}
REFUSED = {"errors": [{"code": "invalid_access_token", "description": "A chave de API fornecida é inválida"}]}


@pytest.fixture(autouse=True)
def asaas(app: Flask) -> Iterator[responses.RequestsMock]:
    app.config["CONNECTION_TEST_ON_SAVE"] = True
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{SANDBOX}/customers", json=REFUSED, status=401)
        yield mock


def _count(app: Flask) -> int:
    with app.app_context():
        return len(get_session().scalars(select(Connection)).all())


def test_a_refused_key_is_a_422_naming_the_reason_and_nothing_is_saved(client: FlaskClient, admin: Person,
                                                                        app: Flask) -> None:
    response = client.post("/api/connections", json=BODY, headers=admin.headers)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "connection_test_failed"
    assert error["details"][0]["reason"] == "unauthorized"
    assert "invalid_access_token" in error["details"][0]["message"]
    assert KEY not in response.get_data(as_text=True)
    assert _count(app) == 0


def test_save_anyway_stores_it_flagged_in_error(client: FlaskClient, admin: Person, app: Flask) -> None:
    response = client.post("/api/connections", json={**BODY, "save_anyway": True}, headers=admin.headers)
    assert response.status_code == 201
    created = response.get_json()
    assert (created["status"], created["status_reason"]) == ("error", "unauthorized")
    assert created["checked_at"] and KEY not in response.get_data(as_text=True)
    listed = client.get("/api/connections", headers=admin.headers).get_json()["connections"]
    assert [c["status"] for c in listed] == ["error"]


def test_save_anyway_must_be_a_boolean(client: FlaskClient, admin: Person, app: Flask) -> None:
    response = client.post("/api/connections", json={**BODY, "save_anyway": "yes"}, headers=admin.headers)
    assert response.status_code == 422 and response.get_json()["error"]["details"][0]["field"] == "save_anyway"
    assert _count(app) == 0


def test_an_accepted_key_is_created_working_and_a_patch_is_tested_again(
    client: FlaskClient, admin: Person, asaas: responses.RequestsMock, app: Flask
) -> None:
    asaas.replace(responses.GET, f"{SANDBOX}/customers", json={"object": "list", "totalCount": 1, "data": []})
    created = client.post("/api/connections", json=BODY, headers=admin.headers).get_json()
    assert (created["status"], created["status_reason"]) == ("ok", "ok")
    asaas.get("https://api.asaas.com/v3/customers", body=requests.exceptions.ConnectTimeout("slow"))
    patch = client.patch(f"/api/connections/{created['id']}", json={"config": {"environment": "production"}},
                         headers=admin.headers)
    assert patch.status_code == 422 and patch.get_json()["error"]["details"][0]["reason"] == "timeout"
    renamed = client.patch(f"/api/connections/{created['id']}", json={"name": "Asaas renomeada"},
                           headers=admin.headers)
    assert renamed.status_code == 200 and renamed.get_json()["status"] == "ok"  # a rename asks nothing


def test_the_openapi_document_describes_save_anyway_and_the_answer(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()
    create = document["paths"]["/api/connections"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["save_anyway"]["type"] == "boolean"
    answer = create["responses"]["201"]["content"]["application/json"]["schema"]
    assert {"status_reason", "checked_at"} <= set(answer["properties"])
