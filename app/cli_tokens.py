"""``flask tokens``: create, list and revoke API tokens from the server's shell.

Whoever runs the CLI has the server (and its database) already, so the CLI mints for any user up to
that user's role; the secret is printed once, by ``create`` (in its JSON with ``--json``), and is
never shown again. Each creation and revocation is written to the audit log as ``cli``.
"""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.audit import record
from app.db import get_session
from app.models import User
from app.tokens import DEFAULT_DAYS, MAX_DAYS, SCOPES, TokenError, create_api_token, describe, revoke, visible_tokens

tokens_cli = AppGroup("tokens", help="API tokens: create (shown once), list, revoke.")


def _user(email: str) -> User:
    user = get_session().scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no user with e-mail {email!r}")
    return user


@tokens_cli.command("create")
@click.option("--email", required=True, help="The token's owner.")
@click.option("--name", required=True, help="What the token is for, e.g. 'ci' or 'erp sync'.")
@click.option("--scope", type=click.Choice(SCOPES), default="read", show_default=True)
@click.option("--days", type=click.IntRange(1, MAX_DAYS), default=DEFAULT_DAYS, show_default=True,
              help="Days until it expires.")
@click.option("--json", "as_json", is_flag=True, help="Print the token (secret included) as JSON.")
def tokens_create(email: str, name: str, scope: str, days: int, as_json: bool) -> None:
    """Create a token; its secret is shown only now."""
    session = get_session()
    user = _user(email)
    try:
        token, plaintext = create_api_token(session, user, name, scope=scope, days=days)
    except TokenError as exc:
        raise click.ClickException(exc.message) from None
    record(session, "token.created", actor="cli", subject=f"token {token.id} {token.prefix}…",
           owner=user.email, scope=token.scope, expires_at=token.expires_at.isoformat())
    session.commit()
    if as_json:
        click.echo(json.dumps({**describe(token), "token": plaintext}))
        return
    click.echo(f"created token {token.id} {token.name!r} for {user.email}: scope {token.scope}, "
               f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC")
    click.echo(f"token (shown only now): {plaintext}")


@tokens_cli.command("list")
@click.option("--email", default=None, help="Only this user's tokens.")
@click.option("--json", "as_json", is_flag=True, help="Print the tokens as JSON (never a secret).")
def tokens_list(email: str | None, as_json: bool) -> None:
    """List tokens, newest first: id, prefix, name, owner, scope, status, expiry, last use."""
    session = get_session()
    tokens = visible_tokens(session, _user(email) if email else None)
    rows = [describe(t) for t in tokens]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        click.echo("\t".join(str(row[k] or "-") for k in ("id", "prefix", "name", "owner", "scope", "status",
                                                         "expires_at", "last_used_at")))


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke a token by id: its next request gets a 401."""
    session = get_session()
    try:
        token = revoke(session, token_id, None)
    except TokenError as exc:
        raise click.ClickException(exc.message) from None
    record(session, "token.revoked", actor="cli", subject=f"token {token.id} {token.prefix}…",
           owner=token.user.email)
    session.commit()
    click.echo(f"revoked token {token.id} {token.name!r} of {token.user.email}")
