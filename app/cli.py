"""Flask CLI: ``flask --app wsgi <group> <command>``. Groups: db, users, keys, connections, tokens.

Every command reports problems as ``Error: ...`` on stderr and exits non-zero, changing nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.auth import create_user, generate_password, reset_password
from app.cli_output import JSON_FLAG, emit
from app.db import get_session
from app.models import ROLES, Connection, User
from app.vault import VaultError, generate_key, get_vault

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
FIRST_ADMIN_EMAIL = "admin@ponte.local"

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
users_cli = AppGroup("users", help="People who log in.")
keys_cli = AppGroup("keys", help="Vault keys that encrypt connection credentials.")


def alembic_config(app: Flask) -> AlembicConfig:
    """Alembic's config for ``app``'s database, with the scripts in migrations/."""
    config = AlembicConfig(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = app.config["DATABASE_URL"]
    return config


def ensure_first_admin() -> str | None:
    """Create admin@ponte.local with a random password when there is no user; return the password."""
    session = get_session()
    if session.scalar(select(func.count()).select_from(User)):
        return None
    password = generate_password()
    create_user(session, email=FIRST_ADMIN_EMAIL, name="Admin", role="admin", password=password)
    session.commit()
    return password


@db_cli.command("upgrade")
@click.argument("revision", default="head")
@click.option("--no-first-admin", is_flag=True, help="Do not create the first admin (the demo makes its own login).")
@JSON_FLAG
def db_upgrade(revision: str, no_first_admin: bool, as_json: bool) -> None:
    """Apply migrations up to REVISION (default: head); create the first admin on an empty database."""
    alembic_command.upgrade(alembic_config(current_app), revision)  # its log goes to stderr
    password = None if no_first_admin else ensure_first_admin()
    if as_json:
        emit({"revision": revision, "first_admin": {"email": FIRST_ADMIN_EMAIL, "password": password}
              if password else None})
        return
    if password:
        base = current_app.config["PUBLIC_BASE_URL"]
        click.echo(
            "\n"
            "  First start: created the admin user (this password is shown only now).\n"
            f"    e-mail:   {FIRST_ADMIN_EMAIL}\n"
            f"    password: {password}\n"
            f"  Log in at {base}/ ; create more users with: flask --app wsgi users create\n"
        )


@db_cli.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (default: one step)."""
    alembic_command.downgrade(alembic_config(current_app), revision)


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(ROLES), default="operator", show_default=True)
@click.option("--password", default=None, help="Prompted for (or generated) when omitted.")
@JSON_FLAG
def users_create(email: str, name: str, role: str, password: str | None, as_json: bool) -> None:
    """Create a user who can log in."""
    session = get_session()
    if session.scalar(select(User).where(User.email == email.strip().lower())) is not None:
        raise click.ClickException(f"a user with e-mail {email!r} already exists")
    generated = False
    if password is None and sys.stdin.isatty() and not as_json:
        password = click.prompt("Password (empty: generate one)", default="", hide_input=True,
                                confirmation_prompt=True, show_default=False) or None
    if password is None:
        password, generated = generate_password(), True
    if len(password) < 8:
        raise click.ClickException("the password needs at least 8 characters")
    user = create_user(session, email=email, name=name, role=role, password=password)
    session.commit()
    if as_json:
        emit({"user": _user(user), "generated_password": password if generated else None})
        return
    click.echo(f"created {user.role} {user.email} (id {user.id})")
    if generated:
        click.echo(f"password (shown only now): {password}")


@users_cli.command("set-password")
@click.argument("email")
@click.option("--password", default=None, help="Prompted for (or generated) when omitted.")
@JSON_FLAG
def users_set_password(email: str, password: str | None, as_json: bool) -> None:
    """Set a user's password (a forgotten one, the first admin's); the account's login lock is lifted."""
    session = get_session()
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no user with e-mail {email!r} (see: flask --app wsgi users list)")
    generated = False
    if password is None and sys.stdin.isatty() and not as_json:
        password = click.prompt("New password (empty: generate one)", default="", hide_input=True,
                                confirmation_prompt=True, show_default=False) or None
    if password is None:
        password, generated = generate_password(), True
    if len(password) < 8:
        raise click.ClickException("the password needs at least 8 characters")
    reset_password(session, user, password, actor="cli")
    session.commit()
    if as_json:
        emit({"user": _user(user), "generated_password": password if generated else None})
        return
    click.echo(f"password of {user.email} changed")
    if generated:
        click.echo(f"new password (shown only now): {password}")


def _user(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role, "locale": user.locale,
            "active": user.active}


@users_cli.command("list")
@JSON_FLAG
def users_list(as_json: bool) -> None:
    """List users."""
    users = [_user(u) for u in get_session().scalars(select(User).order_by(User.id))]
    if as_json:
        emit(users)
        return
    for user in users:
        state = "active" if user["active"] else "inactive"
        click.echo(f"{user['id']}\t{user['email']}\t{user['name']}\t{user['role']}\t{user['locale']}\t{state}")


@keys_cli.command("generate")
def keys_generate() -> None:
    """Print a new Fernet key. Prepend it to PONTE_VAULT_KEYS, then run `keys rotate`."""
    click.echo(generate_key())


@keys_cli.command("rotate")
@JSON_FLAG
def keys_rotate(as_json: bool) -> None:
    """Re-encrypt every connection's credentials under the newest key of PONTE_VAULT_KEYS."""
    session = get_session()
    vault = get_vault()
    count = 0
    for connection in session.scalars(select(Connection).order_by(Connection.id)):
        if not connection.credentials_encrypted:
            continue
        try:
            connection.credentials_encrypted = vault.rotate(connection.credentials_encrypted)
        except VaultError:
            session.rollback()
            raise click.ClickException(
                f"cannot decrypt credentials of connection {connection.name!r} with any key in "
                "PONTE_VAULT_KEYS; nothing was changed"
            ) from None
        count += 1
    session.commit()
    if as_json:
        emit({"reencrypted": count})
        return
    click.echo(f"re-encrypted the credentials of {count} connection(s) under the newest key")


def init_app(app: Flask) -> None:
    from app.cli_connections import connections_cli
    from app.cli_recipes import recipes_cli
    from app.cli_runs import runs_cli
    from app.cli_scheduler import collection_cli, scheduler_cli
    from app.cli_tokens import tokens_cli
    from app.cli_worker import connectors_cli, worker_cli

    for group in (db_cli, users_cli, keys_cli, connections_cli, worker_cli, connectors_cli, recipes_cli, runs_cli):
        app.cli.add_command(group)
    for group in (scheduler_cli, collection_cli, tokens_cli):
        app.cli.add_command(group)
