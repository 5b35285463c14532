"""The typed errors a connector raises, sorted by what the engine must do about them.

::

    ConnectorError                 base: user_message (shown) + internal_message (logged, redacted)
    ├── ConfigError                credentials, plan or settings the user must fix: no retry, flag it
    ├── TransientError             5xx, timeout, connection reset: retry with backoff
    │   ├── RateLimitedError       429: retry after ``retry_after`` seconds (not a failed attempt)
    │   └── DeferredError          not a failure: the action cannot decide yet; come back after
    │                              ``retry_after`` seconds (not a failed attempt)
    ├── PermanentError             the service refused this input (400, 404, 422): fail this run
    ├── SkipError                  nothing to do for this item (already paid, removed): skip, not fail
    └── WebhookAuthError           an inbound delivery without the right secret: 401, store nothing

A ``TransientError`` with ``ambiguous=True`` means a write may have reached the service (timeout or
5xx on POST); the action must look for its own earlier result (by idempotency key) before writing
again. A ``RateLimitedError`` or ``DeferredError`` does not use up one of the recipe's attempts: the
engine schedules the step again after ``retry_after`` (in the database, never a sleeping thread), up
to a deadline, after which the run fails for a person. Secrets never go into these messages: the
engine redacts them again before storing anything.

``reason`` is an optional word from :data:`REASONS` saying, for a person, why the call failed
(``unauthorized``: wrong key; ``environment``: a sandbox key against production...). The platform
shows each reason in the user's language; the message stays the service's own detail.
"""

from __future__ import annotations

#: Why a call failed, in words the platform translates (a connector may leave it None).
REASONS = frozenset({
    "unauthorized", "forbidden", "environment", "plan", "settings", "tls", "unreachable", "timeout",
    "rate_limited", "service_error", "rejected",
})


class ConnectorError(Exception):
    """Base class. ``user_message`` is safe to show; ``internal_message`` is for logs."""

    kind = "error"

    def __init__(
        self,
        user_message: str,
        *,
        internal_message: str | None = None,
        status_code: int | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.internal_message = internal_message or user_message
        self.status_code = status_code
        self.reason = reason


class ConfigError(ConnectorError):
    """The connection or the recipe needs a person: bad credentials, missing plan, bad setting."""

    kind = "config"


class TransientError(ConnectorError):
    """Worth retrying later. ``ambiguous`` marks a write that may have happened."""

    kind = "transient"

    def __init__(
        self,
        user_message: str,
        *,
        internal_message: str | None = None,
        status_code: int | None = None,
        ambiguous: bool = False,
        retry_after: float | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(user_message, internal_message=internal_message, status_code=status_code,
                         reason=reason)
        self.ambiguous = ambiguous
        self.retry_after = retry_after


class RateLimitedError(TransientError):
    """The service said "too many requests"; ``retry_after`` is how long it asked us to wait."""

    kind = "rate_limited"


class DeferredError(TransientError):
    """The action cannot decide yet without risking a second effect, so it asks to be called later.

    Examples: a search for an earlier attempt's document may not see it yet (a list cache), or was
    cut short by its bounds. Nothing failed; the step comes back after ``retry_after`` seconds.
    """

    kind = "deferred"


class PermanentError(ConnectorError):
    """The service refused this input for good; retrying the same call cannot help."""

    kind = "permanent"


class SkipError(ConnectorError):
    """Nothing to do for this item (e.g. the payment was paid meanwhile); recorded as skipped."""

    kind = "skip"


class WebhookAuthError(ConnectorError):
    """An inbound delivery did not carry the connection's secret: answer 401, store nothing."""

    kind = "webhook_auth"
