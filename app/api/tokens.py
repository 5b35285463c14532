"""``/api/tokens``: API tokens for the current user, shown once."""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.api import bp
from app.api.body import json_object
from app.api.errors import ApiError
from app.auth import create_api_token, login_required_json
from app.db import get_session
from app.models import User


@bp.post("/tokens")
@login_required_json
def create_token() -> ResponseReturnValue:
    """Create a token for the caller; ``token`` in the answer is the only time it is shown."""
    body = json_object()
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(422, "name is required", details=[{"field": "name", "message": "required"}])
    if len(name.strip()) > 255 or "\x00" in name:
        raise ApiError(422, "name is too long or holds a NUL character",
                       details=[{"field": "name", "message": "at most 255 characters, no NUL"}])
    session = get_session()
    user = session.get(User, current_user.id)
    token, plaintext = create_api_token(session, user, name.strip())
    session.commit()
    return jsonify(id=token.id, name=token.name, prefix=token.prefix, token=plaintext,
                   created_at=token.created_at.isoformat()), 201
