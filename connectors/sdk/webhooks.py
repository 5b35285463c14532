"""Helpers for authenticating inbound webhooks: fail closed, compare in constant time."""

from __future__ import annotations

import hmac
import secrets
import string
from typing import Any

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


SENSITIVE_MASK = "••••"


def mask_sensitive(obj: Any, keys: frozenset[str]) -> Any:
    """A copy of ``obj`` with the values of the ``keys`` fields masked at any depth (``Connector.sensitive``).

    A connector lists the fields of its data that must never be stored (a card token that can charge
    the card again): its webhook parser masks them before the event is kept, and the engine masks them
    in every step input and output it writes.
    """
    if not keys:
        return obj
    if isinstance(obj, dict):
        return {k: (SENSITIVE_MASK if k in keys and v not in (None, "") else mask_sensitive(v, keys))
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [mask_sensitive(v, keys) for v in obj]
    return obj
