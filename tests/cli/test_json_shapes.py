"""Every ``--json`` answer matches its JSON Schema in docs/cli/, checked on the real output."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from app.db import get_session
from app.models import Connection
from tests.cli.conftest import ASAAS_KEY, Project
from tests.cli.test_runs_cli import _seed

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "cli"
REGISTRY = Registry().with_resources(
    (path.name, Resource.from_contents(json.loads(path.read_text(encoding="utf-8"))))
    for path in SCHEMAS.glob("*.schema.json")
)


def shape(name: str, result: Result, *, exit_code: int = 0) -> Any:
    """The command's stdout parsed as JSON and validated against ``docs/cli/<name>.schema.json``."""
    assert result.exit_code == exit_code, result.output
    data = json.loads(result.stdout)
    schema = REGISTRY.contents(f"{name}.schema.json")
    Draft202012Validator.check_schema(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for e in Draft202012Validator(schema, registry=REGISTRY).iter_errors(data)]
    assert not errors, errors
    return data


def test_every_schema_file_is_a_valid_schema_and_names_itself() -> None:
    files = sorted(SCHEMAS.glob("*.schema.json"))
    assert len(files) >= 20
    for path in files:
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        assert schema["$id"] == path.name


def test_connections_answers_match_their_schemas_and_the_generated_secret_is_shown_once(project: Project) -> None:
    zapsign = shape("connections-create", project.cli(
        "connections", "create", "--connector", "zapsign", "--name", "zapsign", "--set", "api_token=zs-secret-token",
        "--set", "base_url=http://127.0.0.1:9/api/v1", "--json"))
    secret = zapsign["generated_secrets"]["webhook_secret"]
    with project.app.app_context():
        stored = get_session().scalar(select_connection("zapsign")).get_credentials()
    assert stored["webhook_secret"] == secret and zapsign["webhook"]["registration"] == "manual"
    asaas = shape("connections-create", project.cli(
        "connections", "create", "--connector", "asaas", "--name", "asaas", "--set", f"api_key={ASAAS_KEY}",
        "--set", "base_url=http://127.0.0.1:9/v3", "--json"))
    assert set(asaas["generated_secrets"]) == {"webhook_token"}
    listed = project.cli("connections", "list", "--json")
    shown = project.cli("connections", "show", "zapsign", "--json")
    updated = project.cli("connections", "update", "zapsign", "--set", "environment=production", "--json")
    for result in (listed, shown, updated):
        assert secret not in result.output and "zs-secret-token" not in result.output
    assert [c["name"] for c in shape("connections-list", listed)] == ["asaas", "zapsign"]
    assert shape("connections-show", shown)["secrets"] == {"api_token": "••••", "webhook_secret": "••••"}
    assert shape("connections-update", updated)["changed"] == ["environment"]
    tested = shape("connections-test", project.cli("connections", "test", "zapsign", "--json"), exit_code=1)
    assert tested["ok"] is False and tested["status"] == "error"
    rotated = shape("connections-rotate-secret", project.cli("connections", "rotate-secret", "zapsign", "--yes",
                                                             "--json"))
    assert rotated["field"] == "webhook_secret" and rotated["secret"] != secret
    project.cli("connections", "create", "--connector", "zapsign", "--name", "spare", "--set", "api_token=x")
    deleted = shape("connections-delete", project.cli("connections", "delete", "spare", "--yes", "--json"))
    assert deleted["deleted"]["name"] == "spare"


def select_connection(name: str) -> Any:
    from sqlalchemy import select

    return select(Connection).where(Connection.name == name)


def test_recipes_answers_match_their_schemas(project: Project, tmp_path: Path) -> None:
    waiting = shape("recipes-plan", project.cli("recipes", "plan", "--json"))
    assert {w["key"] for w in waiting["waiting"]} == {"charge_to_doc", "signed_to_email"}
    invalid = shape("recipes-validate", project.cli("recipes", "validate", "--json"), exit_code=1)
    assert invalid["problems"][0]["text"].startswith("recipes/")
    from tests.cli.conftest import add_connections

    add_connections(project.app)
    valid = shape("recipes-validate", project.cli("recipes", "validate", "--json"))
    assert valid["ok"] and valid["recipes"] == ["charge_to_doc", "signed_to_email"]
    plan = shape("recipes-plan", project.cli("recipes", "plan", "--json"))
    assert plan["online"]["unreachable"] and plan["ok"]  # port 9 cannot be asked: a warning only
    applied = shape("recipes-apply", project.cli("recipes", "apply", "--json"))
    assert applied["created"] == ["charge_to_doc", "signed_to_email"]
    assert [r["key"] for r in shape("recipes-list", project.cli("recipes", "list", "--json"))] == [
        "charge_to_doc", "signed_to_email"]
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"payment": {"billingType": "PIX", "value": 150}, "customer": {
        "name": "Ana", "email": "ANA@example.com"}}), encoding="utf-8")
    tried = shape("recipes-test", project.cli("recipes", "test", "charge_to_doc", "--event", str(event), "--json"))
    assert tried["results"][0]["steps"][0]["input"]["signer_email"] == "ana@example.com"


def test_runs_answers_match_their_schemas(project: Project) -> None:
    ids = _seed(project)
    runs = shape("runs-list", project.cli("runs", "list", "--json"))
    assert {r["id"] for r in runs} == set(ids.values())
    shown = shape("runs-show", project.cli("runs", "show", str(ids["failed"]), "--json"))
    assert ASAAS_KEY not in json.dumps(shown) and shown["steps"]
    replayed = shape("runs-replay", project.cli("runs", "replay", str(ids["failed"]), "--json"))
    assert replayed["queued"][0]["replay_of"] == ids["failed"]
    refused = project.cli("runs", "replay", "--status", "filtered", "--json")
    assert refused.exit_code == 2 and "--json needs --yes" in refused.output


def test_users_keys_and_connectors_answers_match_their_schemas(project: Project) -> None:
    created = shape("users-create", project.cli("users", "create", "--email", "Ops@Example.com", "--name", "Ops",
                                                "--json"))
    password = created["generated_password"]
    assert password and len(password) >= 8 and created["user"]["email"] == "ops@example.com"
    listed = project.cli("users", "list", "--json")
    assert password not in listed.output
    assert [u["email"] for u in shape("users-list", listed)] == ["ops@example.com"]
    assert shape("keys-rotate", project.cli("keys", "rotate", "--json")) == {"reencrypted": 0}
    catalogue = shape("connectors-describe", project.cli("connectors", "describe", "--json"))
    assert "zapsign" in {c["key"] for c in catalogue}
    assert shape("connectors-describe", project.cli("connectors", "describe", "zapsign", "--json"))["webhook"]


def test_db_upgrade_json_gives_the_first_admin_password_once(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.db'}")
    first = shape("db-upgrade", app.test_cli_runner().invoke(args=["db", "upgrade", "--json"]))
    assert first["first_admin"]["email"] == "admin@ponte.local" and first["first_admin"]["password"]
    again = shape("db-upgrade", app.test_cli_runner().invoke(args=["db", "upgrade", "--json"]))
    assert again["first_admin"] is None


@pytest.mark.parametrize("args", [("connections", "delete", "x", "--json"),
                                  ("connections", "rotate-secret", "x", "--json")])
def test_a_json_command_that_would_prompt_needs_yes(project: Project, args: tuple[str, ...]) -> None:
    project.cli("connections", "create", "--connector", "zapsign", "--name", "x", "--set", "api_token=t")
    result = project.cli(*args)
    assert result.exit_code == 2 and "--json needs --yes" in result.output
