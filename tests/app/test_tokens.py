"""API tokens: named, hashed at rest, scoped, expiring, revocable; never more power than their maker."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import get_session
from app.models import ApiToken, AuditEvent, User, utcnow
from tests.conftest import Person


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def mint(client: FlaskClient, headers: dict[str, str], **body: object):  # noqa: ANN201
    return client.post("/api/tokens", json={"name": "ci", **body}, headers=headers)


def test_a_token_is_named_hashed_at_rest_read_by_default_and_expires_in_90_days(
        app: Flask, client: FlaskClient, admin: Person) -> None:
    made = mint(client, admin.headers)
    assert made.status_code == 201
    body = made.get_json()
    assert body["name"] == "ci" and body["scope"] == "read" and body["status"] == "active"
    with app.app_context():
        row = get_session().get(ApiToken, body["id"])
        assert row.token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
        assert body["token"] not in {row.token_hash, row.prefix, row.name}
        assert timedelta(days=89, hours=23) < row.expires_at - utcnow() <= timedelta(days=90)
    listed = client.get("/api/tokens", headers=admin.headers)
    assert body["token"] not in listed.get_data(as_text=True)  # the secret appears once, at creation
    assert {t["name"] for t in listed.get_json()["tokens"]} == {"tests", "ci"}


def test_a_read_token_reads_but_cannot_write_or_mint(client: FlaskClient, admin: Person) -> None:
    reader = bearer(mint(client, admin.headers, scope="read").get_json()["token"])
    assert client.get("/api/runs", headers=reader).status_code == 200
    refused = mint(client, reader, scope="read")
    assert refused.status_code == 403 and "read scope" in refused.get_json()["error"]["message"]
    assert client.patch("/api/recipes/x", json={"enabled": False}, headers=reader).status_code == 403


def test_a_token_cannot_mint_a_token_with_more_power_than_itself(app: Flask, client: FlaskClient,
                                                                  admin: Person) -> None:
    operate = mint(client, admin.headers, scope="operate", expires_in_days=10).get_json()
    refused = mint(client, bearer(operate["token"]), scope="admin")
    assert refused.status_code == 403
    assert "more power than its maker ('operate')" in refused.get_json()["error"]["message"]
    child = mint(client, bearer(operate["token"]), scope="operate", expires_in_days=365).get_json()
    assert child["scope"] == "operate" and child["expires_at"] == operate["expires_at"]  # capped at the parent's
    with app.app_context():
        actions = get_session().scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions == ["token.created", "token.refused", "token.created"]


def test_an_operator_cannot_get_an_admin_token(client: FlaskClient, operator: Person) -> None:
    refused = mint(client, operator.headers, scope="admin")
    assert refused.status_code == 403
    assert mint(client, operator.headers, scope="operate").status_code == 201


def test_an_operate_token_of_an_admin_cannot_do_admin_work(client: FlaskClient, admin: Person) -> None:
    operate = bearer(mint(client, admin.headers, scope="operate").get_json()["token"])
    answer = client.post("/api/connections", json={"connector": "x", "name": "y", "config": {}}, headers=operate)
    assert answer.status_code == 403 and "admin scope" in answer.get_json()["error"]["message"]


def test_a_demoted_admins_admin_token_acts_as_operate(app: Flask, client: FlaskClient, admin: Person) -> None:
    with app.app_context():
        session = get_session()
        session.get(User, admin.id).role = "operator"
        session.commit()
    assert mint(client, admin.headers, scope="admin").status_code == 403
    assert client.delete("/api/connections/1", headers=admin.headers).status_code == 403


@pytest.mark.parametrize("body", [{"scope": "root"}, {"scope": 3}, {"expires_in_days": 0},
                                  {"expires_in_days": 366}, {"expires_in_days": "30"}, {"name": ""}])
def test_a_bad_scope_lifetime_or_name_is_a_422(client: FlaskClient, admin: Person, body: dict) -> None:
    answer = mint(client, admin.headers, **body)
    assert answer.status_code == 422 and answer.get_json()["error"]["details"]


def test_an_expired_token_is_refused(app: Flask, client: FlaskClient, admin: Person) -> None:
    made = mint(client, admin.headers, expires_in_days=1).get_json()
    assert client.get("/api/runs", headers=bearer(made["token"])).status_code == 200
    with app.app_context():
        session = get_session()
        session.get(ApiToken, made["id"]).expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
    assert client.get("/api/runs", headers=bearer(made["token"])).status_code == 401
    listed = client.get("/api/tokens", headers=admin.headers).get_json()["tokens"]
    assert [t["status"] for t in listed if t["id"] == made["id"]] == ["expired"]


def test_a_revoked_token_is_refused_at_once_and_only_its_owner_or_an_admin_revokes(
        app: Flask, client: FlaskClient, admin: Person, operator: Person) -> None:
    mine = mint(client, operator.headers).get_json()
    admins = mint(client, admin.headers).get_json()
    assert client.delete(f"/api/tokens/{admins['id']}", headers=operator.headers).status_code == 404
    assert client.get("/api/tokens?all=1", headers=operator.headers).status_code == 403
    assert client.delete(f"/api/tokens/{mine['id']}", headers=operator.headers).get_json()["status"] == "revoked"
    assert client.get("/api/runs", headers=bearer(mine["token"])).status_code == 401
    everyone = client.get("/api/tokens?all=1", headers=admin.headers).get_json()["tokens"]
    assert {t["owner"] for t in everyone} == {admin.email, operator.email}
    assert client.delete(f"/api/tokens/{admins['id']}", headers=admin.headers).status_code == 200
    with app.app_context():
        revoked = get_session().scalars(select(AuditEvent).where(AuditEvent.action == "token.revoked")).all()
        assert [r.actor.split(" ")[0] for r in revoked] == [operator.email, admin.email]
        assert all(mine["token"] not in str(r.detail) + r.subject for r in revoked)


def test_a_token_does_not_open_the_pages(client: FlaskClient, admin: Person) -> None:
    answer = client.get("/runs", headers=admin.headers)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
