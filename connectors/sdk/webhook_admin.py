"""The connector hook that sets webhooks up in the service, watches them and recovers what they missed.

A connector whose service has an API for its webhook configurations gives its ``Connector`` a
``webhook_admin`` (an object with the methods of :class:`WebhookAdmin`). The app calls it when a
connection is created, tested, rotated or deleted, and on a schedule; it never names the service.

State the service hands back (its config ids) is returned as :class:`Registration` and stored by the
app beside the connection; the next call gets it back in :attr:`WebhookTarget.known`, so a service
with no "list configs" endpoint (ZapSign) can still be idempotent.

Refusals the user must act on are :class:`RegistrationRefused` with a ``reason`` from
:data:`REASONS`; the app shows a sentence per reason in the person's language, the service's own
words beside it, and the manual steps (``WebhookSpec.instructions``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from .base import JSON, Context, InboundEvent
from .errors import ConfigError

#: Why a service refused a registration: no API permission, a URL it cannot reach (localhost in
#: production), the account's limit of configs, or anything else it said no to.
REASONS = ("forbidden", "local_url", "limit", "rejected")


class RegistrationRefused(ConfigError):
    """The service will not take our webhook config; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, user_message: str, *, internal_message: str | None = None,
                 status_code: int | None = None) -> None:
        super().__init__(user_message, internal_message=internal_message, status_code=status_code)
        self.reason = reason if reason in REASONS else "rejected"


@dataclass(frozen=True)
class WebhookTarget:
    """Where and how the service must deliver: Ponte's URL for the connection and its secret.

    ``events``: the service's event names the connection's recipes need; empty means every event.
    ``email``: where the service sends its own failure notices (Asaas). ``known``: what the last
    :class:`Registration` returned (ids, URL), so stale configs are found and replaced.
    """

    url: str
    secret: str
    events: tuple[str, ...] = ()
    email: str | None = None
    name: str = "Ponte"
    known: JSON = field(default_factory=dict)


@dataclass(frozen=True)
class Registration:
    """What the service holds after a register: its config ids and what was done (for the person)."""

    ids: tuple[str, ...]
    url: str
    action: str  # "created" | "updated" | "unchanged" | "replaced"
    removed: tuple[str, ...] = ()
    extra: JSON = field(default_factory=dict)  # more to remember for the next call (a secret's tag)

    def as_state(self) -> JSON:
        return {**self.extra, "ids": list(self.ids), "url": self.url}


@dataclass(frozen=True)
class QueueState:
    """One webhook config as the service reports it: is its queue delivering?"""

    id: str
    url: str
    enabled: bool
    interrupted: bool

    @property
    def healthy(self) -> bool:
        return self.enabled and not self.interrupted


class WebhookAdmin(Protocol):
    """Webhook configs through the service's API; each method gets the connection's Context."""

    def register(self, ctx: Context, target: WebhookTarget) -> Registration:
        """Create or correct our config for ``target.url`` (never a duplicate); drop stale ones."""

    def unregister(self, ctx: Context, target: WebhookTarget) -> tuple[str, ...]:
        """Remove every config of ours (by known id or URL); returns the ids removed."""

    def queues(self, ctx: Context, target: WebhookTarget) -> list[QueueState] | None:
        """Our configs' queue states, or None when the service cannot tell (no health API)."""

    def reactivate(self, ctx: Context, queue_id: str) -> None:
        """Resume a paused queue, so the service re-sends what it kept."""

    def recover(self, ctx: Context, since: datetime, until: datetime) -> list[InboundEvent]:
        """Events the webhooks should have delivered between ``since`` and ``until`` (UTC), built
        from the service's lists, with ``change_key`` identities so a late delivery runs once."""

    def change_key(self, event_type: str, payload: JSON) -> str | None:
        """The business change an event is about (``pay_1:PAYMENT_RECEIVED:2025-03-06``), equal for
        the webhook delivery and the recovered event of one change; None when it cannot be told."""


def local_url_problem(url: str) -> str | None:
    """Why a public service cannot call ``url`` (localhost, a private address), else None."""
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return "the webhook URL has no host"
    if host == "localhost" or host.endswith(".localhost") or host.endswith(".local"):
        return f"{host} is only reachable from this machine"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if address.is_loopback or address.is_private or address.is_link_local or address.is_unspecified:
        return f"{host} is not a public address"
    return None


def as_text(value: Any) -> str:
    return "" if value is None else str(value)
