"""``flask connections``: create, list, show, update, rotate-secret, test and delete from the shell.

What the API's ``/api/connections`` does, through the same functions (``app.connections``): secret
fields are encrypted, never printed again, and validated against the connector's auth schema. Every
command takes ``--json`` (shapes in ``docs/cli/``); a secret Ponte generates (the webhook secret or
token) is printed once, by the command that made it, and is in its JSON. Creating a connection
applies the recipe files that were waiting for it (``app/engine/waiting.py``).

A connector with a webhook API (``Connector.webhook_admin``) gets its webhook registered by
``create``, ``test`` and ``rotate-secret`` (when ``WEBHOOK_AUTO_REGISTER`` is on) and by
``register-webhook``; ``delete`` removes it. When the service refuses, the output says why and gives
the manual steps (``app/webhook_setup.py``).
"""

from __future__ import annotations

from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.cli_output import JSON_FLAG, emit
from app.connections import (
    ConnectionInputError,
    check_connection,
    coerce_cli_values,
    create_connection,
    get_connector,
    rotate_webhook_secret,
    serialize,
    update_connection,
)
from app.db import get_session
from app.engine.waiting import apply_waiting
from app.models import Connection
from app.vault import MASK
from app.webhook_setup import Outcome, admin_of, auto_register, register, remove_before_delete

connections_cli = AppGroup("connections", help="Accounts in the services Ponte talks to.")
SET_OPT = click.option("--set", "pairs", multiple=True, metavar="FIELD=VALUE", help="A field; repeat for each.")
MANUAL = ("Paste the URL and the secret in {title} yourself; until then {title}'s deliveries are "
          "refused (401).")
REGISTERED = "Ponte registered its webhook in {title} ({action}); nothing to paste."
REFUSED = "{title} did not take the webhook ({reason}): {message}. " + MANUAL


def _parse_sets(pairs: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    bad = [p for p in pairs if "=" not in p or not p.partition("=")[0].strip()]
    if bad:
        raise click.ClickException(f"--set takes field=value; got {', '.join(map(repr, bad))}")
    for pair in pairs:
        name, _, value = pair.partition("=")
        values[name.strip()] = value
    return values


def _by_name(name: str) -> Connection:
    connection = get_session().scalar(select(Connection).where(Connection.name == name))
    if connection is None:
        raise click.ClickException(f"no connection named {name!r}; see: flask --app wsgi connections list")
    return connection


def _public(connection: Connection) -> dict[str, Any]:
    """The connection as the API shows it, plus ``secrets``: each secret field set, masked."""
    data = serialize(connection, current_app.config["PUBLIC_BASE_URL"])
    data["secrets"] = {name: MASK for name in data["secret_fields_set"]}
    return data


def _webhook(connector: Any, connection: Connection, outcome: Outcome | None = None) -> dict[str, Any] | None:
    """Where the service must send its webhooks, and whether Ponte told it or the admin must."""
    spec = getattr(connector, "webhook", None)
    if spec is None:
        return None
    url = _public(connection)["webhook_url"]
    instructions = getattr(spec, "instructions", None)
    registered = outcome is not None and outcome.status == "registered"
    if registered:
        note = REGISTERED.format(title=connector.title, action=outcome.action)  # type: ignore[union-attr]
    elif outcome is not None and outcome.status in ("refused", "error"):
        note = REFUSED.format(title=connector.title, reason=outcome.reason, message=outcome.message)
    else:
        note = MANUAL.format(title=connector.title)
    return {"url": url, "secret_field": spec.secret_field,
            "registration": outcome.as_dict() if outcome is not None else {"status": "manual"},
            "note": note, "instructions": None if registered or not instructions else instructions(url, "en")}


def _confirm(yes: bool, as_json: bool, question: str) -> None:
    """Ask, unless --yes; a script asking for JSON must say --yes (a prompt would corrupt stdout)."""
    if yes:
        return
    if as_json:
        raise click.UsageError("--json needs --yes (there is no one to answer the confirmation)")
    click.confirm(question, abort=True)


def _fail(session: Any, exc: ConnectionInputError) -> click.ClickException:
    session.rollback()
    return click.ClickException(str(exc))


@connections_cli.command("create")
@click.option("--connector", "connector_key", required=True, help="Connector key, e.g. asaas.")
@click.option("--name", required=True, help="A unique name, e.g. 'Asaas produção'.")
@SET_OPT
@JSON_FLAG
def create(connector_key: str, name: str, pairs: tuple[str, ...], as_json: bool) -> None:
    """Create a connection; secret fields are encrypted and never shown again."""
    session = get_session()
    try:
        connector = get_connector(connector_key)
        values = coerce_cli_values(connector, _parse_sets(pairs))
        connection = create_connection(session, connector_key=connector_key, name=name, values=values)
        session.commit()
    except ConnectionInputError as exc:
        raise _fail(session, exc) from None
    outcome = auto_register(session, connection, current_app.config)
    webhook = _webhook(connector, connection, outcome)
    generated = {}
    if webhook is not None and webhook["secret_field"] not in values:
        generated[webhook["secret_field"]] = connection.get_credentials()[webhook["secret_field"]]
    applied = apply_waiting(session, current_app.config, connection.name)
    if as_json:
        emit({"connection": _public(connection), "generated_secrets": generated, "webhook": webhook,
              "recipes_applied": applied})
        return
    click.echo(f"created connection {connection.name!r} (id {connection.id}, connector {connection.connector_key})")
    if webhook is not None:
        click.echo(f"webhook URL: {webhook['url']}")
        for field, secret in generated.items():
            click.echo(f"generated {field} (shown only now): {secret}")
        click.echo(webhook["note"])
        if webhook["instructions"]:
            click.echo(webhook["instructions"])
    if applied:
        click.echo(f"applied the recipe file(s) waiting for this connection: {', '.join(applied)}")


@connections_cli.command("list")
@JSON_FLAG
def list_(as_json: bool) -> None:
    """List connections; secret values show as ••••."""
    rows = [_public(c) for c in get_session().scalars(select(Connection).order_by(Connection.name))]
    if as_json:
        emit(rows)
        return
    for row in rows:
        fields = {**row["settings"], **row["secrets"]}
        shown = " ".join(f"{k}={v}" for k, v in sorted(fields.items()))
        click.echo(f"{row['name']}\t{row['connector']}\t{row['status']}\t{shown}")
        if row["webhook_url"]:
            click.echo(f"\twebhook URL: {row['webhook_url']}")


def _print(row: dict[str, Any]) -> None:
    click.echo(f"{row['name']} (id {row['id']}, connector {row['connector']}): {row['status']}"
               + (f": {row['status_message']}" if row["status_message"] else ""))
    for name, value in sorted({**row["settings"], **row["secrets"]}.items()):
        click.echo(f"  {name} = {value}")
    if row["webhook_url"]:
        click.echo(f"  webhook URL: {row['webhook_url']}")


@connections_cli.command("show")
@click.argument("name")
@JSON_FLAG
def show(name: str, as_json: bool) -> None:
    """One connection: settings, which secrets are set (masked), status, webhook URL."""
    row = _public(_by_name(name))
    if as_json:
        emit(row)
        return
    _print(row)


@connections_cli.command("update")
@click.argument("name")
@SET_OPT
@click.option("--unset", "unset", multiple=True, metavar="FIELD", help="Remove an optional field; repeatable.")
@click.option("--rename", default=None, help="A new name (recipes naming the old one must be changed too).")
@JSON_FLAG
def update(name: str, pairs: tuple[str, ...], unset: tuple[str, ...], rename: str | None, as_json: bool) -> None:
    """Change fields like the API's PATCH: secrets re-encrypted, other fields kept; status becomes untested."""
    connection = _by_name(name)
    session = get_session()
    if not pairs and not unset and rename is None:
        raise click.UsageError("nothing to change: give --set FIELD=VALUE, --unset FIELD or --rename NAME")
    try:
        values: dict[str, Any] = coerce_cli_values(get_connector(connection.connector_key), _parse_sets(pairs))
        values.update(dict.fromkeys(unset))
        update_connection(session, connection, name=rename, values=values or None)
        session.commit()
    except ConnectionInputError as exc:
        raise _fail(session, exc) from None
    changed = sorted(values) + (["name"] if rename is not None else [])
    applied = apply_waiting(session, current_app.config, connection.name) if rename is not None else []
    if as_json:
        emit({"connection": _public(connection), "changed": changed, "recipes_applied": applied})
        return
    click.echo(f"updated connection {connection.name!r}: {', '.join(changed)} (test it again: "
               f"flask --app wsgi connections test {connection.name!r})")


@connections_cli.command("rotate-secret")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@JSON_FLAG
def rotate_secret(name: str, yes: bool, as_json: bool) -> None:
    """A new webhook secret (ZapSign) or token (Asaas), printed once; the service is updated too when
    Ponte manages its webhook, else paste it there."""
    connection = _by_name(name)
    connector = get_connector(connection.connector_key)
    _confirm(yes, as_json, f"Deliveries with the current secret of {name!r} are refused from now on. Rotate?")
    session = get_session()
    try:
        field, secret = rotate_webhook_secret(session, connection)
        session.commit()
    except ConnectionInputError as exc:
        raise _fail(session, exc) from None
    webhook = _webhook(connector, connection, auto_register(session, connection, current_app.config))
    assert webhook is not None  # rotate_webhook_secret refused connectors without one
    if as_json:
        emit({"connection": _public(connection), "field": field, "secret": secret, "webhook": webhook})
        return
    click.echo(f"new {field} for {name!r} (shown only now): {secret}")
    click.echo(f"webhook URL: {webhook['url']}")
    click.echo(webhook["note"])


@connections_cli.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@JSON_FLAG
def delete(name: str, yes: bool, as_json: bool) -> None:
    """Delete a connection that no recipe, event or run uses."""
    connection = _by_name(name)
    _confirm(yes, as_json, f"Delete connection {name!r}?")
    session = get_session()
    connection_id = connection.id
    removal = _removal(session, connection)
    session.delete(connection)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise click.ClickException(
            f"connection {name!r} is still used by recipes, events or runs; remove those first"
        ) from None
    if as_json:
        emit({"deleted": {"id": connection_id, "name": name},
              "webhook": removal.as_dict() if removal else None})
        return
    click.echo(f"deleted connection {name!r}")
    if removal is not None and removal.status == "error":
        click.echo(f"its webhook could not be removed from the service ({removal.message}); remove it there")


def _removal(session: Any, connection: Connection) -> Outcome | None:
    """Remove the service's webhook configs once the connection can go (no event refers to it)."""
    return remove_before_delete(session, connection, current_app.config)


@connections_cli.command("test")
@click.argument("name")
@JSON_FLAG
def test(name: str, as_json: bool) -> None:
    """Ask the service with the connection's credentials; print its answer; exit 1 when it refuses."""
    connection = _by_name(name)
    try:
        result = check_connection(connection)
    except ConnectionInputError as exc:
        raise click.ClickException(str(exc)) from None
    ok, message = result.ok, result.detail
    get_session().commit()
    outcome = auto_register(get_session(), connection, current_app.config) if ok else None
    if as_json:
        emit({"name": connection.name, "connector": connection.connector_key, "ok": ok, "status": connection.status,
              "reason": result.reason, "message": message, "webhook": outcome.as_dict() if outcome else None}, ok=ok)
        return
    if not ok:
        raise click.ClickException(f"connection {name!r} failed its test: {message}")
    click.echo(f"connection {name!r} ok: {message}")
    if outcome is not None:
        click.echo(_webhook(get_connector(connection.connector_key), connection, outcome)["note"])  # type: ignore[index]


@connections_cli.command("register-webhook")
@click.argument("name")
@JSON_FLAG
def register_webhook(name: str, as_json: bool) -> None:
    """Register (or correct) the connection's webhook in its service; exit 1 when it refuses."""
    connection = _by_name(name)
    connector = get_connector(connection.connector_key)
    if admin_of(connection) is None:
        raise click.ClickException(f"{connector.title} webhooks cannot be registered by API; "
                                   f"see: flask --app wsgi connections show {name!r}")
    session = get_session()
    outcome = register(session, connection, current_app.config)
    session.commit()
    webhook = _webhook(connector, connection, outcome)
    ok = outcome.status == "registered"
    if as_json:
        emit({"name": connection.name, "ok": ok, "webhook": webhook}, ok=ok)
        return
    if not ok:
        raise click.ClickException(str(webhook["note"]) + "\n" + str(webhook["instructions"] or ""))  # type: ignore[index]
    click.echo(webhook["note"])  # type: ignore[index]
