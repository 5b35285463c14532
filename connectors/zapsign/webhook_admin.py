"""Ponte's webhooks in the ZapSign account, and the catch-up of document events from ``GET /docs/``.

Facts (docs ``webhooks/criar-webhook``, ``deletar-webhook``): ``POST /user/company/webhook/`` with
``{url, type, headers: [{name, value}]}`` answers ``{id}``; ``type ""`` is every document event but
``email_bounce``, so Ponte makes two configs; ``DELETE /user/company/webhook/delete/`` with ``{id}``.
ZapSign documents no endpoint that lists configs nor any queue state, so idempotence rests on what
the last registration returned (``WebhookTarget.known``): same URL and same secret → nothing to do;
otherwise the known configs are deleted and new ones made (assumed: re-posting headers to an existing
config adds them rather than replacing, so a rotated secret gets a fresh config). ``queues`` is None.

The catch-up lists documents by creation date (the only date filter), ``CREATED_LOOKBACK_DAYS``
back, keeps those whose ``last_update_at`` is in the window and reads each one's detail, from which
``doc_created``, one ``doc_signed`` per signature and ``doc_refused`` are rebuilt.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from connectors.sdk import ConfigError, Context, InboundEvent, PermanentError
from connectors.sdk.base import JSON
from connectors.sdk.webhook_admin import QueueState, Registration, RegistrationRefused, WebhookTarget, as_text

from .client import client_for
from .status import normalise_document
from .webhook import SECRET_HEADER

TYPES = ("", "email_bounce")  # "" = all document events; email_bounce is not in "all"
CREATED_LOOKBACK_DAYS = 30
MAX_PAGES = 50  # 1,000 documents at 20 per page
#: Events the document's state proves, and what tells one occurrence from another.
RECOVERABLE = ("doc_created", "doc_signed", "doc_refused", "doc_deleted")


def fingerprint(secret: str) -> str:
    """A one-way tag of the secret, to notice a rotation without storing the secret twice."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:16]


def change_key(event_type: str, payload: JSON) -> str | None:
    """``<doc token>:<event>[:<signer token>]``: one signature, one creation, one refusal."""
    token = payload.get("token")
    if event_type not in RECOVERABLE or not isinstance(token, str) or not token:
        return None
    if event_type == "doc_signed":
        who = payload.get("signer_who_signed")
        signer = who.get("token") if isinstance(who, dict) else None
        return f"{token}:doc_signed:{signer}" if isinstance(signer, str) and signer else None
    return f"{token}:{event_type}"


def _parse(moment: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class ZapSignWebhookAdmin:
    """The ZapSign :class:`~connectors.sdk.webhook_admin.WebhookAdmin`."""

    def register(self, ctx: Context, target: WebhookTarget) -> Registration:
        known = target.known
        print_ = fingerprint(target.secret)
        ids = tuple(as_text(i) for i in known.get("ids") or [])
        if ids and known.get("url") == target.url and known.get("fingerprint") == print_:
            return Registration(ids, target.url, "unchanged", extra={"fingerprint": print_})
        client = client_for(ctx)
        try:
            created = []
            for kind in TYPES:
                body = {"url": target.url, "type": kind,
                        "headers": [{"name": SECRET_HEADER, "value": target.secret}]}
                created.append(as_text(client.post("/user/company/webhook/", json=body).get("id")))
        except (ConfigError, PermanentError) as exc:
            status = exc.status_code
            reason = "forbidden" if status in (401, 402, 403) else "rejected"
            raise RegistrationRefused(reason, f"ZapSign refused the webhook (HTTP {status}): {exc.user_message}",
                                      internal_message=exc.internal_message, status_code=status) from None
        removed = self._delete(ctx, ids)
        action = "replaced" if ids else "created"
        return Registration(tuple(created), target.url, action, removed, extra={"fingerprint": print_})

    def _delete(self, ctx: Context, ids: tuple[str, ...]) -> tuple[str, ...]:
        client = client_for(ctx)
        for hook_id in ids:
            value: Any = int(hook_id) if hook_id.isdigit() else hook_id
            client.request("DELETE", "/user/company/webhook/delete/", json={"id": value}, allow_404=True)
        return ids

    def unregister(self, ctx: Context, target: WebhookTarget) -> tuple[str, ...]:
        return self._delete(ctx, tuple(as_text(i) for i in target.known.get("ids") or []))

    def queues(self, ctx: Context, target: WebhookTarget) -> list[QueueState] | None:
        return None  # ZapSign shows webhook logs in its web app only

    def reactivate(self, ctx: Context, queue_id: str) -> None:
        raise ConfigError("ZapSign has no API to resume a webhook")

    def recover(self, ctx: Context, since: datetime, until: datetime) -> list[InboundEvent]:
        client = client_for(ctx)
        created_from = (since - timedelta(days=CREATED_LOOKBACK_DAYS)).date().isoformat()
        changed: list[str] = []
        for page in range(1, MAX_PAGES + 1):
            body = client.get("/docs/", params={"page": page, "created_from": created_from,
                                                "created_to": until.date().isoformat()})
            for item in (body.get("results") or []) if isinstance(body, dict) else []:
                moment = _parse(item.get("last_update_at") or item.get("created_at"))
                if isinstance(item, dict) and item.get("token") and moment and since <= moment <= until:
                    changed.append(str(item["token"]))
            if not isinstance(body, dict) or not body.get("next"):
                break
        events: list[InboundEvent] = []
        for token in changed:
            detail = client.get(f"/docs/{quote(token, safe='')}/")
            if isinstance(detail, dict):
                events.extend(self._events_of(normalise_document(detail), since, until))
        return events

    def _events_of(self, doc: JSON, since: datetime, until: datetime) -> list[InboundEvent]:
        out: list[tuple[str, JSON]] = []

        def within(moment: Any) -> bool:
            parsed = _parse(moment)
            return parsed is not None and since <= parsed <= until

        if within(doc.get("created_at")):
            out.append(("doc_created", {**doc, "status": "pending"}))
        signers = [s for s in doc.get("signers") or [] if isinstance(s, dict)]
        signed = sorted((s for s in signers if s.get("signed_at")), key=lambda s: str(s["signed_at"]))
        for number, signer in enumerate(signed, start=1):
            if within(signer.get("signed_at")):
                whole = number == len(signers) and doc.get("status") == "signed"
                out.append(("doc_signed", {**doc, "status": "signed" if whole else "pending",
                                           "signer_who_signed": signer}))
        if doc.get("status") == "refused" and within(doc.get("last_update_at")):
            out.append(("doc_refused", doc))
        if doc.get("deleted") and within(doc.get("deleted_at") or doc.get("last_update_at")):
            out.append(("doc_deleted", doc))
        events = []
        for event_type, body in out:
            payload = {**body, "event_type": event_type, "recovered": True}
            key = change_key(event_type, payload)
            if key:
                events.append(InboundEvent(f"recovered:{key}", event_type, payload,
                                           str(payload.get("last_update_at") or "") or None))
        return events

    def change_key(self, event_type: str, payload: JSON) -> str | None:
        return change_key(event_type, payload)


WEBHOOK_ADMIN = ZapSignWebhookAdmin()
