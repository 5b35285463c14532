"""Ponte's webhook config in the Asaas account: ``/v3/webhooks`` create, correct, replace, remove, watch.

Facts (docs "create-new-webhook-via-api", "sobre-os-webhooks", "webhooks-queue-paused"): an account
holds up to 10 configs, each ``{name, url, email, enabled, interrupted, authToken, sendType, events}``;
a queue is ``interrupted`` after 15 consecutive failures and is resumed by setting
``interrupted: false``, after which Asaas re-sends what it kept (up to 14 days) in order.

Assumed where the reference is silent: ``GET /v3/webhooks`` lists the configs in the usual list
envelope (without the ``authToken``), ``PUT /v3/webhooks/{id}`` takes the same body as the create and
``DELETE /v3/webhooks/{id}`` removes one; a key without the webhook permission gets 403. Because the
token cannot be read back, a config at our URL is always corrected with a PUT (never trusted as is).
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, urlsplit

from connectors.sdk import ConfigError, Context, InboundEvent, PermanentError
from connectors.sdk.base import JSON
from connectors.sdk.webhook_admin import (
    QueueState,
    Registration,
    RegistrationRefused,
    WebhookTarget,
    as_text,
    local_url_problem,
)

from .client import client_for, iter_pages
from .events import EVENT_NAMES
from .recovery import change_key, recover
from .subscriptions import SUBSCRIPTION_EVENT_NAMES

MAX_CONFIGS = 10
SEND_TYPE = "SEQUENTIALLY"  # occurrence order (CREATED → OVERDUE → RECEIVED), what recipes expect


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/")


def _ours(config: JSON, target: WebhookTarget) -> bool:
    """A config Ponte made for this connection: a known id, or the connection's path on any host
    (``PUBLIC_BASE_URL`` changed since)."""
    known = {str(i) for i in target.known.get("ids") or []}
    return as_text(config.get("id")) in known or _path(as_text(config.get("url"))) == _path(target.url)


def _body(target: WebhookTarget) -> JSON:
    known = (*EVENT_NAMES, *SUBSCRIPTION_EVENT_NAMES)  # subscriptions: docs.asaas.com/docs/subscription-events
    events = [e for e in target.events if e in known] or list(known)
    body: JSON = {"name": target.name[:50], "url": target.url, "enabled": True, "interrupted": False,
                  "authToken": target.secret, "sendType": SEND_TYPE, "apiVersion": 3, "events": events}
    if target.email:
        body["email"] = target.email  # where Asaas sends its own "queue failing / paused" e-mails
    return body


def _refusal(exc: ConfigError | PermanentError) -> RegistrationRefused:
    if exc.status_code in (401, 403):
        return RegistrationRefused(
            "forbidden", "Asaas refused to manage webhooks with this API key (HTTP "
            f"{exc.status_code}): give the key the webhook permission, or configure the webhook by hand",
            internal_message=exc.internal_message, status_code=exc.status_code)
    return RegistrationRefused("rejected", f"Asaas refused the webhook config: {exc.user_message}",
                               internal_message=exc.internal_message, status_code=exc.status_code)


class AsaasWebhookAdmin:
    """The Asaas :class:`~connectors.sdk.webhook_admin.WebhookAdmin`."""

    def configs(self, ctx: Context) -> list[JSON]:
        return list(iter_pages(client_for(ctx), "/webhooks", {}))

    def register(self, ctx: Context, target: WebhookTarget) -> Registration:
        """Correct our config at ``target.url`` (or move a stale one there), else create it; remove
        duplicates and configs of ours left at an old URL. Never a second config for one URL."""
        if not ctx.get("base_url"):  # the real Asaas cannot call a local address (a double can)
            problem = local_url_problem(target.url)
            if problem:
                raise RegistrationRefused("local_url", f"Asaas cannot deliver to {target.url}: {problem}; "
                                          "set PUBLIC_BASE_URL to Ponte's public address")
        client = client_for(ctx)
        try:
            configs = self.configs(ctx)
            ours = [c for c in configs if _ours(c, target)]
            exact = [c for c in ours if as_text(c.get("url")).rstrip("/") == target.url.rstrip("/")]
            keep = (exact or ours)[0] if (exact or ours) else None
            if keep is None:
                if len(configs) >= MAX_CONFIGS:
                    raise RegistrationRefused("limit", f"the Asaas account already has {len(configs)} webhook "
                                              f"configs (the limit is {MAX_CONFIGS}); remove one and try again")
                created = client.post("/webhooks", json=_body(target))
                return Registration((as_text(created.get("id")),), target.url, "created")
            keep_id = as_text(keep.get("id"))
            client.request("PUT", f"/webhooks/{quote(keep_id, safe='')}", json=_body(target))
            removed = tuple(self._delete(ctx, c) for c in ours if c is not keep)
            action = "updated" if exact else "replaced"
            return Registration((keep_id,), target.url, action, removed)
        except (ConfigError, PermanentError) as exc:
            if isinstance(exc, RegistrationRefused):
                raise
            raise _refusal(exc) from None

    def _delete(self, ctx: Context, config: JSON) -> str:
        config_id = as_text(config.get("id"))
        client_for(ctx).request("DELETE", f"/webhooks/{quote(config_id, safe='')}", allow_404=True)
        return config_id

    def unregister(self, ctx: Context, target: WebhookTarget) -> tuple[str, ...]:
        return tuple(self._delete(ctx, c) for c in self.configs(ctx) if _ours(c, target))

    def queues(self, ctx: Context, target: WebhookTarget) -> list[QueueState] | None:
        return [QueueState(as_text(c.get("id")), as_text(c.get("url")), bool(c.get("enabled", True)),
                           bool(c.get("interrupted"))) for c in self.configs(ctx) if _ours(c, target)]

    def reactivate(self, ctx: Context, queue_id: str) -> None:
        """``PUT {interrupted: false, enabled: true}``: Asaas resumes and re-sends the kept events."""
        client_for(ctx).request("PUT", f"/webhooks/{quote(queue_id, safe='')}",
                                json={"interrupted": False, "enabled": True})

    def recover(self, ctx: Context, since: datetime, until: datetime) -> list[InboundEvent]:
        return recover(ctx, since, until)

    def change_key(self, event_type: str, payload: JSON) -> str | None:
        return change_key(event_type, payload)


WEBHOOK_ADMIN = AsaasWebhookAdmin()
