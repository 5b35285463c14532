"""``flask connections update | rotate-secret | test``: connections managed end to end from the shell."""

from __future__ import annotations

import json
from dataclasses import dataclass

import responses
from sqlalchemy import select

from app.db import get_session
from app.models import Connection
from tests.cli.conftest import Project

API = "http://zapsign.test/api/v1"


def _create(project: Project, name: str = "zapsign") -> dict:
    result = project.cli("connections", "create", "--connector", "zapsign", "--name", name,
                         "--set", "api_token=first-token", "--set", f"base_url={API}", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@dataclass
class Stored:
    settings: dict
    status: str
    credentials: dict
    encrypted: str


def _row(project: Project, name: str) -> Stored:
    with project.app.app_context():
        connection = get_session().scalar(select(Connection).where(Connection.name == name))
        assert connection is not None
        return Stored(dict(connection.settings), connection.status, connection.get_credentials(),
                      connection.credentials_encrypted)


def test_update_encrypts_secret_fields_keeps_the_others_and_marks_the_connection_untested(project: Project) -> None:
    _create(project)
    with project.app.app_context():
        session = get_session()
        session.scalar(select(Connection)).status = "ok"
        session.commit()
    result = project.cli("connections", "update", "zapsign", "--set", "api_token=second-token",
                         "--set", "environment=production", "--unset", "base_url")
    assert result.exit_code == 0, result.output
    assert "second-token" not in result.output
    row = _row(project, "zapsign")
    assert row.credentials["api_token"] == "second-token"
    assert "second-token" not in row.encrypted
    assert row.settings == {"environment": "production"} and row.status == "untested"
    assert row.credentials["webhook_secret"]  # untouched secrets stay


def test_update_refuses_bad_fields_and_changes_nothing(project: Project) -> None:
    _create(project)
    bad = project.cli("connections", "update", "zapsign", "--set", "environment=moon", "--set", "colour=red")
    assert bad.exit_code == 1
    assert "environment: invalid value (enum" in bad.output and "colour: unknown field" in bad.output
    assert _row(project, "zapsign").settings == {"base_url": API}
    assert project.cli("connections", "update", "zapsign").exit_code == 2  # nothing to change
    assert "no connection named 'nope'" in project.cli("connections", "update", "nope", "--set", "a=b").output


def test_rotate_secret_prints_the_new_secret_once_and_the_old_one_is_refused(project: Project) -> None:
    created = _create(project)
    old = created["generated_secrets"]["webhook_secret"]
    uid = created["connection"]["uid"]
    result = project.cli("connections", "rotate-secret", "zapsign", "--yes")
    assert result.exit_code == 0, result.output
    new = _row(project, "zapsign").credentials["webhook_secret"]
    assert new != old and f"new webhook_secret for 'zapsign' (shown only now): {new}" in result.output
    assert "Ponte does not register webhooks by API yet" in result.output
    client = project.app.test_client()
    body = {"event_type": "doc_signed", "token": "doc-1"}
    assert client.post(f"/webhooks/{uid}", json=body, headers={"X-Ponte-Secret": old}).status_code == 401
    assert client.post(f"/webhooks/{uid}", json=body, headers={"X-Ponte-Secret": new}).status_code != 401
    assert project.cli("connections", "show", "zapsign").output.count(new) == 0


def test_rotate_secret_of_a_connection_without_webhooks_is_refused(project: Project) -> None:
    created = project.cli("connections", "create", "--connector", "email", "--name", "mail", "--set", "host=smtp.test",
                          "--set", "port=587", "--set", "from_address=a@b.test")
    assert created.exit_code == 0, created.output
    result = project.cli("connections", "rotate-secret", "mail", "--yes")
    assert result.exit_code == 1 and "receive no webhooks" in result.output


@responses.activate
def test_test_prints_the_service_answer_and_exits_by_it(project: Project) -> None:
    _create(project)
    responses.get(f"{API}/templates/", json={"count": 2, "next": None, "results": []})
    ok = project.cli("connections", "test", "zapsign")
    assert ok.exit_code == 0, ok.output
    assert "connection 'zapsign' ok: Connected to ZapSign (local double); 2 template(s) found" in ok.output
    responses.replace(responses.GET, f"{API}/templates/", status=401, json={"detail": "Token inválido."})
    refused = project.cli("connections", "test", "zapsign", "--json")
    assert refused.exit_code == 1
    answer = json.loads(refused.stdout)
    assert answer["ok"] is False and "Token inválido." in answer["message"]
    assert _row(project, "zapsign").status == "error"
