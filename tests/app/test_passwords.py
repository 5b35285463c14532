"""Passwords reset from the shell (``flask users set-password``) and by an admin on the Users page."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import get_session
from app.login_guard import account_key
from app.models import AuditEvent, LoginThrottle, User, utcnow
from tests.conftest import Person
from tests.web.conftest import login


def _run(app: Flask, *args: str):  # noqa: ANN202
    return app.test_cli_runner().invoke(args=list(args))


def _lock(app: Flask, email: str) -> None:
    with app.app_context():
        session = get_session()
        session.add(LoginThrottle(key=account_key(email), failures=9, window_started_at=utcnow(),
                                  locked_until=utcnow().replace(year=utcnow().year + 1)))
        session.commit()


def test_set_password_from_the_shell_lifts_the_lock_and_is_audited(app: Flask, operator: Person) -> None:
    _lock(app, operator.email)
    result = _run(app, "users", "set-password", operator.email.upper(), "--password", "brand-new-password")
    assert result.exit_code == 0, result.output
    assert f"password of {operator.email} changed" in result.output
    with app.app_context():
        session = get_session()
        user = session.scalar(select(User).where(User.email == operator.email))
        assert user.check_password("brand-new-password") and not user.check_password(operator.password)
        assert session.scalar(select(LoginThrottle).where(LoginThrottle.key == account_key(operator.email))) is None
        audit = session.scalar(select(AuditEvent).where(AuditEvent.action == "password_reset"))
        assert audit.subject == operator.email and "brand-new-password" not in json.dumps(audit.detail)
    generated = _run(app, "users", "set-password", operator.email, "--json")
    password = json.loads(generated.output)["generated_password"]
    assert len(password) >= 12
    with app.app_context():
        assert get_session().scalar(select(User).where(User.email == operator.email)).check_password(password)


def test_set_password_refuses_an_unknown_user_and_a_short_password(app: Flask, operator: Person) -> None:
    unknown = _run(app, "users", "set-password", "nobody@example.com", "--password", "long-enough-pw")
    assert unknown.exit_code != 0 and "no user with e-mail" in unknown.output
    short = _run(app, "users", "set-password", operator.email, "--password", "short")
    assert short.exit_code != 0 and "at least 8 characters" in short.output


def test_an_admin_resets_a_password_on_the_users_page(app: Flask, admin: Person, operator: Person) -> None:
    client: FlaskClient = login(app.test_client(), admin)
    with app.app_context():
        user_id = get_session().scalar(select(User.id).where(User.email == operator.email))
    page = client.get("/users").get_data(as_text=True)
    assert "Redefinir senha" in page
    answer = client.post(f"/users/{user_id}", data={"action": "password"})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    html = answer.get_data(as_text=True)
    password = html.split('<code class="secret">')[1].split("</code>")[0]
    assert f"A senha de {operator.email} foi redefinida." in html
    assert client.get("/users").get_data(as_text=True).count(password) == 0  # shown once only
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": operator.email, "password": password}).status_code == 302
    assert app.test_client().post("/login", data={"email": operator.email,
                                                  "password": operator.password}).status_code != 302


def test_an_operator_cannot_reset_passwords(app: Flask, admin: Person, operator: Person) -> None:
    client = login(app.test_client(), operator)
    with app.app_context():
        admin_id = get_session().scalar(select(User.id).where(User.email == admin.email))
    assert client.post(f"/users/{admin_id}", data={"action": "password"}).status_code == 403


def test_db_upgrade_without_the_first_admin(make_app, tmp_path) -> None:  # noqa: ANN001
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'demo.db'}")
    result = app.test_cli_runner().invoke(args=["db", "upgrade", "--no-first-admin"])
    assert result.exit_code == 0, result.output
    assert "First start" not in result.output and "password" not in result.output
    with app.app_context():
        assert get_session().scalar(select(User)) is None
