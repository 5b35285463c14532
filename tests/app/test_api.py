from __future__ import annotations

import json
import logging
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.db import get_session
from app.models import Connection, Event
from tests.app.fake_registry import GOOD_API_KEY

SECRET_WEBHOOK_TOKEN = "whsec-0123456789abcdef"


def _create(client: FlaskClient, headers: dict[str, str], **config: object) -> dict:
    body = {"connector": "fakepay", "name": "FakePay prod",
            "config": {"api_key": GOOD_API_KEY, "environment": "sandbox",
                       "webhook_token": SECRET_WEBHOOK_TOKEN, **config}}
    response = client.post("/api/connections", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _assert_json_error(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and isinstance(error["details"], list)
    return error


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/connections"), ("POST", "/api/connections"), ("GET", "/api/connections/1"),
     ("PATCH", "/api/connections/1"), ("DELETE", "/api/connections/1"), ("POST", "/api/tokens")],
)
def test_api_requires_auth_with_a_json_401(client: FlaskClient, method: str, path: str) -> None:
    _assert_json_error(client.open(path, method=method, json={}), 401, "unauthorized")


def test_unknown_bearer_token_is_401(client: FlaskClient, admin: SimpleNamespace) -> None:
    response = client.get("/api/connections", headers={"Authorization": "Bearer ponte_nope"})
    _assert_json_error(response, 401, "unauthorized")


def test_unknown_api_url_and_wrong_method_answer_json(client: FlaskClient, admin: SimpleNamespace) -> None:
    _assert_json_error(client.get("/api/nothing-here", headers=admin.headers), 404, "not_found")
    _assert_json_error(client.put("/api/connections", headers=admin.headers), 405, "method_not_allowed")


def test_malformed_body_is_400_and_too_big_body_is_413(client: FlaskClient, admin: SimpleNamespace) -> None:
    response = client.post("/api/connections", data="{nope", headers={**admin.headers,
                           "Content-Type": "application/json"})
    _assert_json_error(response, 400, "bad_request")
    big = json.dumps({"name": "x" * (1024 * 1024 + 10)})
    headers = {**admin.headers, "Content-Type": "application/json"}
    response = client.post("/api/tokens", data=big, headers=headers)
    _assert_json_error(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    ("path", "body", "reason"),
    [
        ("/api/connections", b"[" * 100_000, "nested more than"),
        ("/api/tokens", b'{"name": ' + b"[" * 500 + b"]" * 500 + b"}", "nested more than"),
        ("/api/recipes", b'{"key": "x", "retry": {"base_delay_seconds": NaN}}', "NaN"),
        ("/api/runs/replay", b'{"ids": [1], "mode": Infinity}', "Infinity"),
        ("/api/runs/1/replay", b'{"force": true, "mode": ' + b"[" * 100_000, "nested more than"),
    ],
    ids=["connections-deep", "tokens-deep", "recipes-nan", "bulk-replay-infinity", "replay-deep"],
)
def test_a_body_that_is_not_storable_json_is_a_400_with_the_reason(
        client: FlaskClient, admin: SimpleNamespace, path: str, body: bytes, reason: str) -> None:
    response = client.post(path, data=body, headers={**admin.headers, "Content-Type": "application/json"})
    error = _assert_json_error(response, 400, "bad_request")
    assert error["message"].startswith("the request body is not valid JSON") and reason in error["message"]


def test_unexpected_error_is_a_json_500(app: Flask, admin: SimpleNamespace, monkeypatch) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr("app.api.connections.serialize", lambda *a: 1 / 0)
    with app.app_context():
        get_session().add(Connection(connector_key="fakepay", name="x", settings={}))
        get_session().commit()
    response = app.test_client().get("/api/connections", headers=admin.headers)
    _assert_json_error(response, 500, "internal_error")


def test_admin_creates_connection_and_secrets_never_come_back(
    client: FlaskClient, admin: SimpleNamespace, fake_registry: SimpleNamespace, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    created = _create(client, admin.headers, timeout=30)
    assert created["secret_fields_set"] == ["api_key", "webhook_token"]
    assert created["settings"] == {"environment": "sandbox", "timeout": 30}
    assert created["webhook_url"] == f"http://ponte.test/webhooks/{created['uid']}"
    assert len(created["uid"]) >= 16
    responses = [
        client.get("/api/connections", headers=admin.headers),
        client.get(f"/api/connections/{created['id']}", headers=admin.headers),
        client.patch(f"/api/connections/{created['id']}", json={"config": {"environment": "production"}},
                     headers=admin.headers),
    ]
    for response in responses:
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert GOOD_API_KEY not in text and SECRET_WEBHOOK_TOKEN not in text
    assert responses[2].get_json()["settings"]["environment"] == "production"
    assert responses[2].get_json()["secret_fields_set"] == ["api_key", "webhook_token"]
    logging.getLogger("ponte.test").info("calling with %s and Bearer %s", GOOD_API_KEY, admin.token)
    assert GOOD_API_KEY not in caplog.text and admin.token not in caplog.text
    assert "calling with ••••" in caplog.text


def test_credentials_are_encrypted_at_rest(app: Flask, client: FlaskClient, admin, fake_registry) -> None:
    created = _create(client, admin.headers)
    with app.app_context():
        row = get_session().get(Connection, created["id"])
        assert GOOD_API_KEY not in (row.credentials_encrypted or "")
        assert "api_key" not in row.settings
        assert row.config()["api_key"] == GOOD_API_KEY


def test_webhook_secret_is_generated_when_not_given(client: FlaskClient, admin, fake_registry) -> None:
    config = {"api_key": GOOD_API_KEY, "environment": "sandbox"}
    body = {"connector": "fakepay", "name": "gen", "config": config}
    response = client.post("/api/connections", json=body, headers=admin.headers)
    assert response.status_code == 201
    assert "webhook_token" in response.get_json()["secret_fields_set"]


def test_invalid_fields_are_all_reported_with_422(client: FlaskClient, admin, fake_registry) -> None:
    body = {"connector": "fakepay", "name": "bad", "config": {"environment": "moon", "colour": "red"}}
    error = _assert_json_error(client.post("/api/connections", json=body, headers=admin.headers),
                               422, "validation_failed")
    fields = {d["field"] for d in error["details"]}
    assert {"colour", "environment", "api_key"} <= fields
    assert any(d == {"field": "api_key", "message": "required field missing"} for d in error["details"])


def test_unknown_connector_is_422_listing_valid_ones(client: FlaskClient, admin, fake_registry) -> None:
    body = {"connector": "nope", "name": "x", "config": {}}
    error = _assert_json_error(client.post("/api/connections", json=body, headers=admin.headers),
                               422, "validation_failed")
    assert "fakepay" in error["message"] and "fakemail" in error["message"]


def test_duplicate_name_is_409(client: FlaskClient, admin, fake_registry) -> None:
    _create(client, admin.headers)
    body = {"connector": "fakemail", "name": "FakePay prod", "config": {"host": "smtp"}}
    _assert_json_error(client.post("/api/connections", json=body, headers=admin.headers), 409, "conflict")


def test_operator_reads_but_cannot_write(client: FlaskClient, admin, operator, fake_registry) -> None:
    created = _create(client, admin.headers)
    assert client.get("/api/connections", headers=operator.headers).status_code == 200
    body = {"connector": "fakemail", "name": "m", "config": {"host": "smtp"}}
    _assert_json_error(client.post("/api/connections", json=body, headers=operator.headers), 403, "forbidden")
    _assert_json_error(client.delete(f"/api/connections/{created['id']}", headers=operator.headers),
                       403, "forbidden")


def test_delete_connection_and_409_while_events_use_it(app: Flask, client: FlaskClient, admin, fake_registry):
    used = _create(client, admin.headers)
    with app.app_context():
        get_session().add(Event(connection_id=used["id"], dedupe_key="k", event_type="t", payload={}))
        get_session().commit()
    response = client.delete(f"/api/connections/{used['id']}", headers=admin.headers)
    _assert_json_error(response, 409, "conflict")
    body = {"connector": "fakemail", "name": "m", "config": {"host": "h"}}
    free = client.post("/api/connections", json=body, headers=admin.headers).get_json()
    assert client.delete(f"/api/connections/{free['id']}", headers=admin.headers).status_code == 204
    _assert_json_error(client.get(f"/api/connections/{free['id']}", headers=admin.headers), 404, "not_found")


def test_session_login_also_authenticates(app: Flask, admin) -> None:
    from flask_login import login_user

    from app.models import User

    @app.post("/_test_login")
    def _login() -> str:  # stands in for the web blueprint's login form
        login_user(get_session().get(User, admin.id))
        return "ok"

    client = app.test_client()
    assert client.get("/api/connections").status_code == 401
    client.post("/_test_login")
    assert client.get("/api/connections").status_code == 200


def test_token_is_created_shown_once_and_works(client: FlaskClient, admin, app: Flask) -> None:
    response = client.post("/api/tokens", json={"name": "ci"}, headers=admin.headers)
    assert response.status_code == 201
    token = response.get_json()["token"]
    assert response.get_json()["prefix"] == token[:8]
    assert client.get("/api/connections", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    from app.models import ApiToken

    with app.app_context():
        rows = get_session().query(ApiToken).filter_by(name="ci").all()
        assert len(rows) == 1 and rows[0].token_hash != token and rows[0].last_used_at is not None
    _assert_json_error(client.post("/api/tokens", json={}, headers=admin.headers), 422, "validation_failed")


def test_request_id_is_echoed_or_generated(client: FlaskClient) -> None:
    assert client.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-Id": "bad id with spaces"}).headers["X-Request-Id"]
    assert generated and generated != "bad id with spaces"
