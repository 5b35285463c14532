"""Who is asking: Flask-Login sessions for people, ``Authorization: Bearer`` API tokens for scripts.

Both end up as ``flask_login.current_user``; a bearer token also sets ``g.api_token``, whose scope
(``app.tokens``) bounds what the request may do. Tokens authenticate ``/api`` only, never pages.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Request, abort, g, redirect, request, url_for
from flask_login import LoginManager, current_user
from sqlalchemy.orm import Session

from app.db import get_session
from app.models import ApiToken, User, utcnow
from app.tokens import TOKEN_PREFIX, create_api_token, effective_scope, find_live, hash_token, rank

__all__ = ["TOKEN_PREFIX", "admin_required", "create_api_token", "create_user", "current_token", "hash_token",
           "login_required_json", "request_scope", "user_for_token"]
login_manager = LoginManager()
F = TypeVar("F", bound=Callable[..., Any])


def user_for_token(session: Session, plaintext: str) -> User | None:
    """The active user owning a live ``plaintext`` token (and mark the token used), or None."""
    token = find_live(session, plaintext)
    if token is None:
        return None
    token.last_used_at = utcnow()
    session.commit()
    g.api_token = token
    return token.user


def current_token() -> ApiToken | None:
    """The bearer token this request authenticated with, or None for a session."""
    return g.get("api_token")


def request_scope() -> str:
    """What this request may do: the token's effective scope, or the person's role in a session."""
    token = current_token()
    if token is not None:
        return effective_scope(token)
    return "admin" if current_user.is_authenticated and current_user.role == "admin" else "operate"


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(
    session: Session, *, email: str, name: str, role: str, password: str, locale: str = "pt_BR"
) -> User:
    """A new user with a hashed password (the caller commits)."""
    user = User(email=email.strip().lower(), name=name, role=role, locale=locale, active=True)
    user.set_password(password)
    session.add(user)
    session.flush()
    return user


def reset_password(session: Session, user: User, password: str, *, actor: str) -> None:
    """Give ``user`` a new password (an admin's reset or ``flask users set-password``): the account's
    login lock is lifted, and the reset is audited (never the password). The caller commits."""
    from app import audit, login_guard

    user.set_password(password)
    login_guard.unlock(session, login_guard.account_key(user.email))
    audit.record(session, "password_reset", actor=actor, subject=user.email)


def wants_api(req: Request) -> bool:
    return req.path == "/api" or req.path.startswith("/api/")


def wants_json(req: Request) -> bool:
    """API paths and clients that ask for JSON get JSON errors, never an HTML page."""
    return req.path == "/api" or req.path.startswith("/api/") or (
        req.accept_mimetypes.best == "application/json"
    )


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        if not user_id.isdigit():
            return None
        user = get_session().get(User, int(user_id))
        return user if user is not None and user.active else None

    @login_manager.request_loader
    def _load_user_from_token(req: Request) -> User | None:
        header = req.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip() or not wants_api(req):
            return None
        return user_for_token(get_session(), value.strip())

    @login_manager.unauthorized_handler
    def _unauthorized() -> Any:
        if not wants_json(request) and login_manager.login_view:
            return redirect(url_for(login_manager.login_view, next=request.full_path))
        abort(401, description="authentication required: log in, or send 'Authorization: Bearer <api token>'")


def login_required_json(view: F) -> F:
    """Like ``flask_login.login_required`` (401 through the app's error handlers)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def admin_required(view: F) -> F:
    """Authenticated and role admin, else 401/403."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role != "admin":
            abort(403, description="this needs the admin role")
        if rank(request_scope()) < rank("admin"):
            abort(403, description=f"this needs a token with the admin scope; this one has {request_scope()!r}")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
