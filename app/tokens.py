"""API tokens: named, hashed at rest, scoped, expiring and revocable.

A token is ``ponte_`` + 256 random bits; only its sha256 is stored (a slow hash buys nothing for a
secret that long), with its first 8 characters to recognise it in a list. Its power is its scope,
``read`` < ``operate`` < ``admin``, and never more than its owner's role allows (an operator's
tokens stop at ``operate``; a demoted admin's ``admin`` token acts as ``operate`` from then on).

A token cannot mint a token with more power than itself: not a higher scope, and not a longer life
(a child's expiry is capped at its parent's, or a token could outlive its own expiry by minting).
Every token expires: 90 days by default, at most 365.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ApiToken, User, utcnow

TOKEN_PREFIX = "ponte_"  # noqa: S105 (a marker, not a secret)
SCOPES = ("read", "operate", "admin")
ROLE_CEILING = {"admin": "admin", "operator": "operate"}
DEFAULT_DAYS = 90
MAX_DAYS = 365
MAX_NAME = 255


class TokenError(ValueError):
    """A token request Ponte refuses; ``field`` names the input at fault, ``status`` the HTTP answer."""

    def __init__(self, message: str, *, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


def rank(scope: str) -> int:
    return SCOPES.index(scope) if scope in SCOPES else -1


def ceiling(user: User) -> str:
    """The most a token of ``user`` may do: their role's scope."""
    return ROLE_CEILING.get(user.role, "read")


def effective_scope(token: ApiToken) -> str:
    """What ``token`` may do now: its scope, capped by its owner's current role."""
    return min(token.scope, ceiling(token.user), key=rank)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_live(token: ApiToken, now: datetime | None = None) -> bool:
    return token.revoked_at is None and token.expires_at > (now or utcnow())


def status(token: ApiToken, now: datetime | None = None) -> str:
    """``active``, ``revoked`` or ``expired``: what a list shows."""
    if token.revoked_at is not None:
        return "revoked"
    return "active" if token.expires_at > (now or utcnow()) else "expired"


@dataclass(frozen=True)
class Minter:
    """Who asks for a new token: a person in a session (``token`` None) or a bearer token."""

    user: User
    token: ApiToken | None = None

    @property
    def power(self) -> str:
        return effective_scope(self.token) if self.token is not None else ceiling(self.user)


def create_api_token(session: Session, user: User, name: str, *, scope: str | None = None,
                     days: int | None = None, minted_by: Minter | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the plaintext, which is never stored.

    ``scope`` defaults to the owner's ceiling (``minted_by``'s power when a token asks);
    raises TokenError when the name, scope or lifetime is not acceptable.
    """
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME or "\x00" in name:
        raise TokenError(f"name is required: at most {MAX_NAME} characters, no NUL", field="name")
    power = minted_by.power if minted_by is not None else ceiling(user)
    power = min(power, ceiling(user), key=rank)
    scope = scope or power
    if scope not in SCOPES:
        raise TokenError(f"scope must be one of {', '.join(SCOPES)}", field="scope")
    if rank(scope) > rank(power):
        raise TokenError(f"a token with scope {scope!r} has more power than its maker ({power!r}) allows",
                         field="scope", status=403)
    if days is None:
        days = DEFAULT_DAYS
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise TokenError(f"expires_in_days must be a whole number from 1 to {MAX_DAYS}", field="expires_in_days")
    now = utcnow()
    expires = now + timedelta(days=days)
    if minted_by is not None and minted_by.token is not None:
        expires = min(expires, minted_by.token.expires_at)  # a child never outlives its parent
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=hash_token(plaintext), prefix=plaintext[:8],
                     scope=scope, created_at=now, expires_at=expires)
    session.add(token)
    session.flush()
    return token, plaintext


def find_live(session: Session, plaintext: str) -> ApiToken | None:
    """The live token (not revoked, not expired, owner active) whose secret is ``plaintext``."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext)))
    if token is None or not is_live(token) or not token.user.active:
        return None
    return token


def visible_tokens(session: Session, viewer: User | None) -> list[ApiToken]:
    """Tokens newest first: ``viewer``'s own, or everyone's when ``viewer`` is None (an admin asked)."""
    query = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if viewer is not None:
        query = query.where(ApiToken.user_id == viewer.id)
    return list(session.scalars(query))


def revoke(session: Session, token_id: int, by: User | None) -> ApiToken:
    """Revoke a token (idempotent): ``by`` must own it; None is an admin (or the CLI). The caller commits."""
    token = session.get(ApiToken, token_id)
    if token is None or (by is not None and token.user_id != by.id):
        raise TokenError(f"no token {token_id}", status=404)  # another's token is not even confirmed
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


def describe(token: ApiToken) -> dict[str, object]:
    """A token as the API, the CLI's --json and the page show it: never the secret or its hash."""
    return {"id": token.id, "name": token.name, "prefix": token.prefix, "scope": token.scope,
            "owner": token.user.email, "status": status(token), "created_at": token.created_at.isoformat(),
            "expires_at": token.expires_at.isoformat(),
            "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
            "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None}
