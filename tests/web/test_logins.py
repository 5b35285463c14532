"""Logins: throttled per account and per address across processes, no way to tell which e-mails
are users, a new session at login, lockouts on the admins' Access page, every attempt audited."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app import login_guard
from app.db import get_session
from app.models import AuditEvent, User
from tests.conftest import Person
from tests.web.conftest import login


def attempt(client: FlaskClient, email: str, password: str, address: str = "198.51.100.7"):  # noqa: ANN201
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(get_session().scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_five_failures_lock_the_account_even_for_the_right_password(app: Flask, client: FlaskClient,
                                                                     admin: Person) -> None:
    for _ in range(5):
        assert attempt(client, admin.email, "wrong-password").status_code == 401
    locked = attempt(client, admin.email, admin.password)
    assert locked.status_code == 429
    assert "Tentativas demais sem sucesso. Tente de novo em 15 minutos." in locked.get_data(as_text=True)
    assert actions(app) == ["login.failed"] * 4 + ["login.failed", "login.locked", "login.throttled"]
    with app.app_context():
        audit = get_session().scalars(select(AuditEvent)).all()
        assert {a.address for a in audit} == {"198.51.100.7"} and {a.actor for a in audit} == {admin.email}
        assert all(admin.password not in str(a.detail) and "wrong-password" not in str(a.detail) for a in audit)


def test_an_unknown_email_is_answered_counted_and_locked_like_a_real_one(
        app: Flask, client: FlaskClient, admin: Person, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    real = login_guard.check_password_hash
    monkeypatch.setattr(login_guard, "check_password_hash", lambda h, p: checked.append(h[:6]) or real(h, p))
    answers = {}
    for email in (admin.email, "nobody@example.com"):
        pages = [attempt(client, email, "wrong-password") for _ in range(6)]
        answers[email] = [(p.status_code, p.get_data(as_text=True).count("Tentativas demais")) for p in pages]
    assert answers[admin.email] == answers["nobody@example.com"] == [(401, 0)] * 5 + [(429, 1)]
    assert len(checked) == 12 and len(set(checked)) == 1  # one hash check per attempt, same method, both ways


def test_an_inactive_user_with_the_right_password_is_a_plain_failure(app: Flask, client: FlaskClient,
                                                                     admin: Person) -> None:
    with app.app_context():
        session = get_session()
        session.get(User, admin.id).active = False
        session.commit()
    answer = attempt(client, admin.email, admin.password)
    assert answer.status_code == 401 and "E-mail ou senha incorretos." in answer.get_data(as_text=True)


def test_twenty_failures_from_one_address_lock_the_address_for_every_account(
        client: FlaskClient, admin: Person) -> None:
    for n in range(20):
        assert attempt(client, f"guess{n}@example.com", "x", address="203.0.113.9").status_code == 401
    assert attempt(client, admin.email, admin.password, address="203.0.113.9").status_code == 429
    assert attempt(client, admin.email, admin.password, address="203.0.113.10").status_code == 302


def test_a_success_clears_the_account_count(client: FlaskClient, admin: Person) -> None:
    for _ in range(4):
        attempt(client, admin.email, "wrong-password")
    assert attempt(client, admin.email, admin.password).status_code == 302
    client.post("/logout")
    for _ in range(4):
        assert attempt(client, admin.email, "wrong-password").status_code == 401
    assert attempt(client, admin.email, admin.password).status_code == 302


def test_a_lock_holds_in_another_process(make_app: Callable[..., Flask], app: Flask, client: FlaskClient,
                                         admin: Person) -> None:
    for _ in range(5):
        attempt(client, admin.email, "wrong-password")
    other = make_app()  # another app on the same database, as a second gunicorn worker is
    assert attempt(other.test_client(), admin.email, admin.password).status_code == 429


def test_the_session_is_renewed_at_login(client: FlaskClient, admin: Person) -> None:
    with client.session_transaction() as before:
        before["planted"] = "by-an-attacker"
        before["_user_id"] = "999"
    assert attempt(client, admin.email, admin.password).status_code == 302
    with client.session_transaction() as after:
        assert "planted" not in after and after["_user_id"] == str(admin.id)


def test_admins_see_and_lift_a_lockout(app: Flask, admin_client: FlaskClient, client: FlaskClient,
                                       operator: Person) -> None:
    for _ in range(5):
        attempt(client, operator.email, "wrong-password")
    page = admin_client.get("/access").get_data(as_text=True)
    assert "Logins bloqueados" in page and operator.email in page and "Remover bloqueio" in page
    assert "login recusado" in page and "bloqueio" in page  # the audit log, in words
    lifted = admin_client.post("/access/locks/unlock", data={"key": f"account:{operator.email}"})
    assert lifted.status_code == 302
    assert "Nenhuma conta ou endereço bloqueado" in admin_client.get("/access").get_data(as_text=True)
    assert attempt(client, operator.email, operator.password).status_code == 302
    assert "login.unlocked" in actions(app)


def test_the_access_page_is_for_admins_only(operator_client: FlaskClient) -> None:
    assert operator_client.get("/access").status_code == 403
    assert operator_client.post("/access/locks/unlock", data={"key": "account:x"}).status_code == 403


def test_admins_list_and_revoke_tokens_on_the_access_page_in_both_languages(
        app: Flask, admin_client: FlaskClient, client: FlaskClient, operator: Person) -> None:
    made = client.post("/api/tokens", json={"name": "erp sync", "scope": "operate"}, headers=operator.headers)
    token = made.get_json()
    page = admin_client.get("/access").get_data(as_text=True)
    assert "Tokens de API" in page and "erp sync" in page and "operação" in page and token["token"] not in page
    assert admin_client.post(f"/access/tokens/{token['id']}/revoke").status_code == 302
    assert client.get("/api/runs", headers={"Authorization": f"Bearer {token['token']}"}).status_code == 401
    admin_client.post("/locale", data={"locale": "en", "next": "/access"})
    english = admin_client.get("/access").get_data(as_text=True)
    assert "API tokens" in english and "revoked" in english and "Tokens de API" not in english


def test_login_still_works_for_the_fixture_helper(app: Flask, admin: Person) -> None:
    login(app.test_client(), admin)
    assert actions(app) == ["login.succeeded"]
