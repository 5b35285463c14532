"""Who may open what: login everywhere, admins only for users and connection management, CSRF, headers."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Person

PAGES = ["/", "/runs", "/automations", "/automations/new", "/connections", "/connections/new", "/users"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_redirects_to_login_when_logged_out(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login")


@pytest.mark.parametrize("path", ["/users", "/connections/new", "/connections/new?connector=asaas"])
def test_operator_gets_403_on_users_and_connection_management(operator_client: FlaskClient, path: str) -> None:
    assert operator_client.get(path).status_code == 403


def test_operator_cannot_create_users_or_test_connections(
    operator_client: FlaskClient, seeded: dict[str, int]
) -> None:
    assert operator_client.post("/users", data={"email": "x@example.com", "role": "admin"}).status_code == 403
    assert operator_client.post(f"/connections/{seeded['asaas']}/test").status_code == 403
    assert operator_client.post(f"/connections/{seeded['asaas']}/reveal").status_code == 403


def test_operator_sees_runs_automations_and_connection_list(operator_client: FlaskClient) -> None:
    for path in ["/", "/runs", "/automations", "/connections"]:
        assert operator_client.get(path).status_code == 200, path
    assert b'href="/users"' not in operator_client.get("/").data


def test_wrong_password_is_refused(client: FlaskClient, admin: Person) -> None:
    response = client.post("/login", data={"email": admin.email, "password": "nope"})
    assert response.status_code == 401
    assert client.get("/").status_code == 302


def test_login_does_not_redirect_to_another_site(client: FlaskClient, admin: Person) -> None:
    response = client.post("/login?next=https://evil.example/", data={"email": admin.email,
                                                                      "password": admin.password})
    assert response.location == "/"


def test_inactive_user_cannot_log_in(admin_client: FlaskClient, operator: Person, app: Flask) -> None:
    from app.db import get_session
    from app.models import User

    admin_client.post(f"/users/{operator.id}", data={"action": "deactivate"})
    with app.app_context():
        assert get_session().get(User, operator.id).active is False
    response = app.test_client().post("/login", data={"email": operator.email, "password": operator.password})
    assert response.status_code == 401


def test_admin_creates_a_user_with_a_generated_password_shown_once(admin_client: FlaskClient) -> None:
    response = admin_client.post("/users", data={"email": "nova@example.com", "name": "Nova", "role": "operator",
                                                 "locale": "pt_BR"})
    assert response.status_code == 200
    assert "nova@example.com" in response.get_data(as_text=True)
    assert b'class="secret"' in response.data
    assert b'class="secret"' not in admin_client.get("/users").data


def test_post_without_csrf_token_is_rejected(make_app, admin: Person) -> None:  # noqa: ANN001

    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert client.post("/login", data={"email": admin.email, "password": admin.password}).status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login", data={"email": admin.email, "password": admin.password, "csrf_token": token})
    assert response.status_code == 302


def test_api_and_webhooks_are_exempt_from_csrf(make_app) -> None:  # noqa: ANN001

    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert client.post("/webhooks/unknown-uid", data=b"{}").status_code != 400
    assert client.post("/api/connections", json={}).status_code == 401


def test_security_headers_are_set(client: FlaskClient) -> None:
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"]


def test_session_cookie_is_httponly_and_lax(client: FlaskClient, admin: Person) -> None:
    response = client.post("/login", data={"email": admin.email, "password": admin.password})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
