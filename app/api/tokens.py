"""``/api/tokens``: create (the secret shown once), list and revoke API tokens.

A caller sees and revokes their own tokens; an admin (session, or a token with the admin scope)
sees and revokes everyone's with ``?all=1`` / by id. A token never mints one with more power than
itself (``app.tokens``); a refusal is audited like a creation.
"""

from __future__ import annotations

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.api import bp
from app.api.body import json_object
from app.api.contract import TOKEN, TOKEN_BODY, TOKENS, operation
from app.api.errors import ApiError
from app.audit import record
from app.auth import current_token, login_required_json, request_scope
from app.db import get_session
from app.models import User
from app.tokens import Minter, TokenError, create_api_token, describe, revoke, visible_tokens


def _actor(user: User) -> str:
    token = current_token()
    return user.email + (f" (token {token.id} {token.prefix}…)" if token is not None else "")


def _is_admin() -> bool:
    return current_user.role == "admin" and request_scope() == "admin"


@bp.post("/tokens")
@login_required_json
@operation("Create an API token; its secret is in this answer only", body=TOKEN_BODY,
           responses={201: TOKEN})
def create_token() -> ResponseReturnValue:
    """Create a token for the caller; ``token`` in the answer is the only time it is shown.

    Body: ``{"name": str, "scope": "read"|"operate"|"admin" (default read),
    "expires_in_days": 1..365 (default 90)}``.
    """
    body = json_object()
    session = get_session()
    user = session.get(User, current_user.id)
    if user is None:
        raise ApiError(401, "the user of this session or token no longer exists")
    name = body.get("name")
    try:
        if not isinstance(name, str):
            raise TokenError("name is required: at most 255 characters, no NUL", field="name")
        scope = body.get("scope", "read")
        if not isinstance(scope, str):
            raise TokenError("scope must be one of read, operate, admin", field="scope")
        token, plaintext = create_api_token(session, user, name, scope=scope, days=body.get("expires_in_days"),
                                            minted_by=Minter(user, current_token()))
    except TokenError as exc:
        session.rollback()
        record(session, "token.refused", actor=_actor(user), subject=str(name)[:255], reason=exc.message)
        session.commit()
        raise ApiError(exc.status, exc.message,
                       details=[{"field": exc.field, "message": exc.message}] if exc.field else []) from None
    record(session, "token.created", actor=_actor(user), subject=f"token {token.id} {token.prefix}…",
           scope=token.scope, expires_at=token.expires_at.isoformat())
    session.commit()
    return jsonify({**describe(token), "token": plaintext}), 201


@bp.get("/tokens")
@login_required_json
@operation("List API tokens (yours; all=1: everyone's, admin)", query={"all": {"type": "string"}},
           responses={200: TOKENS})
def list_tokens() -> ResponseReturnValue:
    """The caller's tokens (``?all=1``: everyone's, for an admin); never a secret."""
    everyone = request.args.get("all") in ("1", "true")
    if everyone and not _is_admin():
        raise ApiError(403, "listing everyone's tokens needs the admin role (and a token with the admin scope)")
    session = get_session()
    tokens = visible_tokens(session, None if everyone else session.get(User, current_user.id))
    return jsonify(tokens=[describe(t) for t in tokens])


@bp.delete("/tokens/<int:token_id>")
@login_required_json
@operation("Revoke an API token", responses={200: TOKEN})
def revoke_token(token_id: int) -> ResponseReturnValue:
    """Revoke a token at once (its next request is a 401); idempotent."""
    session = get_session()
    user = session.get(User, current_user.id)
    if user is None:
        raise ApiError(401, "the user of this session or token no longer exists")
    try:
        token = revoke(session, token_id, None if _is_admin() else user)
    except TokenError as exc:
        raise ApiError(exc.status, exc.message) from None
    record(session, "token.revoked", actor=_actor(user), subject=f"token {token.id} {token.prefix}…",
           owner=token.user.email)
    session.commit()
    return jsonify(describe(token))
