"""Helpers for authenticating inbound webhooks: fail closed, compare in constant time."""

from __future__ import annotations

import hmac
import secrets
import string

from .errors import WebhookAuthError

DEFAULT_MAX_BODY_BYTES = 256 * 1024


def constant_time_equals(given: str | None, expected: str | None) -> bool:
    """True only when both are non-empty and equal; timing does not leak the prefix that matched."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def require_secret(given: str | None, expected: str | None, *, what: str) -> None:
    """Raise WebhookAuthError unless ``given`` matches ``expected``; an unset secret never passes."""
    if not expected:
        raise WebhookAuthError(f"this connection has no webhook secret configured; {what} rejected")
    if not given:
        raise WebhookAuthError(f"missing {what}")
    if not constant_time_equals(given, expected):
        raise WebhookAuthError(f"wrong {what}")


def generate_token(length: int = 48, alphabet: str = string.ascii_letters + string.digits) -> str:
    """A random token from ``alphabet`` (letters and digits: safe in headers and URLs)."""
    return "".join(secrets.choice(alphabet) for _ in range(length))
