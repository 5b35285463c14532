"""``flask connections``: create, list, delete and test connections from the command line."""

from __future__ import annotations

import json
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.connections import (
    ConnectionInputError,
    check_connection,
    coerce_cli_values,
    create_connection,
    get_connector,
    serialize,
)
from app.db import get_session
from app.models import Connection
from app.vault import MASK

connections_cli = AppGroup("connections", help="Accounts in the services Ponte talks to.")


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
    data = serialize(connection, current_app.config["PUBLIC_BASE_URL"])
    data["secrets"] = {name: MASK for name in data["secret_fields_set"]}
    return data


@connections_cli.command("create")
@click.option("--connector", "connector_key", required=True, help="Connector key, e.g. asaas.")
@click.option("--name", required=True, help="A unique name, e.g. 'Asaas produção'.")
@click.option("--set", "pairs", multiple=True, metavar="FIELD=VALUE", help="A field; repeat for each.")
def create(connector_key: str, name: str, pairs: tuple[str, ...]) -> None:
    """Create a connection; secret fields are encrypted and never shown again."""
    session = get_session()
    try:
        connector = get_connector(connector_key)
        values = coerce_cli_values(connector, _parse_sets(pairs))
        connection = create_connection(session, connector_key=connector_key, name=name, values=values)
        session.commit()
    except ConnectionInputError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"created connection {connection.name!r} (id {connection.id}, connector {connection.connector_key})"
    )
    webhook = getattr(connector, "webhook", None)
    if webhook is not None:
        click.echo(f"webhook URL: {_public(connection)['webhook_url']}")
        if webhook.secret_field not in values:
            secret = connection.get_credentials()[webhook.secret_field]
            click.echo(
                f"generated {webhook.secret_field} (shown only now; paste it in {connector.title}): {secret}"
            )


@connections_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (secrets masked).")
def list_(as_json: bool) -> None:
    """List connections; secret values show as ••••."""
    rows = [_public(c) for c in get_session().scalars(select(Connection).order_by(Connection.name))]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        fields = {**row["settings"], **row["secrets"]}
        shown = " ".join(f"{k}={v}" for k, v in sorted(fields.items()))
        click.echo(f"{row['name']}\t{row['connector']}\t{row['status']}\t{shown}")
        if row["webhook_url"]:
            click.echo(f"\twebhook URL: {row['webhook_url']}")


@connections_cli.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete(name: str, yes: bool) -> None:
    """Delete a connection that no recipe, event or run uses."""
    connection = _by_name(name)
    if not yes:
        click.confirm(f"Delete connection {name!r}?", abort=True)
    session = get_session()
    session.delete(connection)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise click.ClickException(
            f"connection {name!r} is still used by recipes, events or runs; remove those first"
        ) from None
    click.echo(f"deleted connection {name!r}")


@connections_cli.command("test")
@click.argument("name")
def test(name: str) -> None:
    """Check a connection's credentials against the service and record the result."""
    connection = _by_name(name)
    try:
        ok, message = check_connection(connection)
    except ConnectionInputError as exc:
        raise click.ClickException(str(exc)) from None
    get_session().commit()
    if not ok:
        raise click.ClickException(f"connection {name!r} failed its test: {message}")
    click.echo(f"connection {name!r} ok: {message}")


