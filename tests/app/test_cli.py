from __future__ import annotations

import json

from flask import Flask
from sqlalchemy import func, select

from app.db import get_session
from app.models import Connection, User
from app.vault import Vault, generate_key
from tests.app.fake_registry import GOOD_API_KEY


def _connections(app: Flask) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(Connection))


def _run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_users_create_and_list(app: Flask) -> None:
    result = _run(app, "users", "create", "--email", "Ana@Example.com", "--name", "Ana", "--role", "admin")
    assert result.exit_code == 0, result.output
    assert "password (shown only now):" in result.output
    listed = _run(app, "users", "list")
    assert "ana@example.com" in listed.output and "admin" in listed.output
    again = _run(app, "users", "create", "--email", "ana@example.com", "--name", "A", "--password", "x" * 10)
    assert again.exit_code != 0 and "already exists" in again.output
    short = _run(app, "users", "create", "--email", "b@example.com", "--name", "B", "--password", "short")
    assert short.exit_code != 0


def test_created_password_logs_in(app: Flask) -> None:
    _run(app, "users", "create", "--email", "c@example.com", "--name", "C", "--password", "long-enough-pw")
    with app.app_context():
        user = get_session().scalar(select(User).where(User.email == "c@example.com"))
        assert user.check_password("long-enough-pw") and not user.check_password("nope")
        assert user.role == "operator" and user.locale == "pt_BR"


def test_connections_create_list_and_secrets_masked(app: Flask, fake_registry) -> None:
    result = _run(app, "connections", "create", "--connector", "fakepay", "--name", "FakePay prod",
                  "--set", f"api_key={GOOD_API_KEY}", "--set", "environment=sandbox", "--set", "timeout=30")
    assert result.exit_code == 0, result.output
    assert "webhook URL: http://ponte.test/webhooks/" in result.output
    assert "generated webhook_token (shown only now" in result.output
    assert GOOD_API_KEY not in result.output
    listed = _run(app, "connections", "list")
    assert "api_key=••••" in listed.output and GOOD_API_KEY not in listed.output
    assert "/webhooks/" in listed.output
    as_json = json.loads(_run(app, "connections", "list", "--json").output)
    assert as_json[0]["settings"] == {"environment": "sandbox", "timeout": 30}
    assert as_json[0]["secrets"] == {"api_key": "••••", "webhook_token": "••••"}


def test_unknown_connector_lists_valid_keys_and_changes_nothing(app: Flask, fake_registry) -> None:
    result = _run(app, "connections", "create", "--connector", "nope", "--name", "x", "--set", "a=b")
    assert result.exit_code != 0
    assert "fakepay" in result.output and "fakemail" in result.output
    assert _connections(app) == 0


def test_missing_and_bad_fields_are_all_reported_and_change_nothing(app: Flask, fake_registry) -> None:
    result = _run(app, "connections", "create", "--connector", "fakepay", "--name", "x",
                  "--set", "environment=moon", "--set", "colour=red", "--set", "timeout=0")
    assert result.exit_code != 0
    for fragment in ("api_key", "environment", "colour: unknown field", "timeout", "valid fields"):
        assert fragment in result.output, fragment
    bad_pair = _run(app, "connections", "create", "--connector", "fakepay", "--name", "x", "--set", "novalue")
    assert bad_pair.exit_code != 0 and "field=value" in bad_pair.output
    assert _connections(app) == 0


def test_connections_test_records_status(app: Flask, fake_registry) -> None:
    _run(app, "connections", "create", "--connector", "fakepay", "--name", "good",
         "--set", f"api_key={GOOD_API_KEY}", "--set", "environment=sandbox")
    _run(app, "connections", "create", "--connector", "fakepay", "--name", "bad",
         "--set", "api_key=wrong-key-999", "--set", "environment=sandbox")
    ok = _run(app, "connections", "test", "good")
    assert ok.exit_code == 0 and "authenticated to sandbox" in ok.output
    failed = _run(app, "connections", "test", "bad")
    assert failed.exit_code != 0 and "wrong-key-999" not in failed.output
    with app.app_context():
        rows = {c.name: c for c in get_session().scalars(select(Connection))}
        assert rows["good"].status == "ok" and rows["bad"].status == "error"
    assert _run(app, "connections", "test", "missing").exit_code != 0


def test_connections_delete(app: Flask, fake_registry) -> None:
    _run(app, "connections", "create", "--connector", "fakemail", "--name", "mail", "--set", "host=smtp")
    assert _run(app, "connections", "delete", "mail", "--yes").exit_code == 0
    assert _connections(app) == 0
    assert _run(app, "connections", "delete", "mail", "--yes").exit_code != 0


def test_keys_generate_prints_a_usable_key(app: Flask) -> None:
    key = _run(app, "keys", "generate").output.strip()
    Vault(key)


def test_keys_rotate_reencrypts_under_the_newest_key(app: Flask, make_app, vault_key, fake_registry) -> None:
    _run(app, "connections", "create", "--connector", "fakepay", "--name", "p",
         "--set", f"api_key={GOOD_API_KEY}", "--set", "environment=sandbox")
    new_key = generate_key()
    rotated_app = make_app(PONTE_VAULT_KEYS=f"{new_key},{vault_key}")
    result = _run(rotated_app, "keys", "rotate")
    assert result.exit_code == 0 and "1 connection(s)" in result.output
    with rotated_app.app_context():
        row = get_session().scalar(select(Connection))
        assert Vault(new_key).decrypt_json(row.credentials_encrypted, "p")["api_key"] == GOOD_API_KEY


def test_keys_rotate_with_a_foreign_key_changes_nothing(app: Flask, make_app, fake_registry) -> None:
    _run(app, "connections", "create", "--connector", "fakemail", "--name", "m",
         "--set", "host=h", "--set", "password=mail-password")
    with app.app_context():
        before = get_session().scalar(select(Connection)).credentials_encrypted
    result = _run(make_app(PONTE_VAULT_KEYS=generate_key()), "keys", "rotate")
    assert result.exit_code != 0 and "connection 'm'" in result.output
    with app.app_context():
        assert get_session().scalar(select(Connection)).credentials_encrypted == before


def test_tokens_create_list_revoke_with_the_secret_once(app: Flask, client) -> None:  # noqa: ANN001
    assert _run(app, "users", "create", "--email", "ops@example.com", "--name", "Ops", "--role", "operator",
                "--password", "ops-password-1").exit_code == 0
    refused = _run(app, "tokens", "create", "--email", "ops@example.com", "--name", "ci", "--scope", "admin")
    assert refused.exit_code != 0 and "more power than its maker ('operate')" in refused.output
    made = _run(app, "tokens", "create", "--email", "ops@example.com", "--name", "ci", "--scope", "operate",
                "--days", "7", "--json")
    assert made.exit_code == 0, made.output
    token = json.loads(made.output)
    assert token["scope"] == "operate" and token["status"] == "active" and token["token"].startswith("ponte_")
    assert client.get("/api/runs", headers={"Authorization": f"Bearer {token['token']}"}).status_code == 200
    listed = _run(app, "tokens", "list", "--json")
    assert listed.exit_code == 0 and token["token"] not in listed.output
    assert [(t["id"], t["owner"], t["status"]) for t in json.loads(listed.output)] == [
        (token["id"], "ops@example.com", "active")]
    assert "\tci\tops@example.com\toperate\tactive\t" in _run(app, "tokens", "list").output
    assert _run(app, "tokens", "revoke", str(token["id"])).exit_code == 0
    assert client.get("/api/runs", headers={"Authorization": f"Bearer {token['token']}"}).status_code == 401
    assert json.loads(_run(app, "tokens", "list", "--json").output)[0]["status"] == "revoked"
    assert "no token 999" in _run(app, "tokens", "revoke", "999").output
