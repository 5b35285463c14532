"""Inbound ZapSign webhooks: fail-closed authentication, parsing and a dedupe key.

ZapSign signs nothing (no HMAC is documented); its mechanism is custom headers the user configures
on the webhook. Ponte generates a secret per connection and accepts it only in a header: the
``X-Ponte-Secret`` header or ``Authorization: Bearer <secret>``. A secret in the query string
(``?token=``) is refused with its own 401 message: a URL lands in proxy and server access logs, so
a secret there has leaked already and must be rotated, not used.

ZapSign sends no event id and retries any non-200 answer, and ``doc_signed`` fires once per signer,
so the dedupe key hashes what identifies one delivery: document token, event type, the signer the
event is about and the moment of the occurrence (``_moment``: mostly the document's ``last_update_at``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.sdk import (
    InboundEvent,
    InboundRequest,
    WebhookAuthError,
    constant_time_equals,
    generate_token,
)

from .status import event_signer, normalise_document

SECRET_HEADER = "X-Ponte-Secret"  # noqa: S105 - a header name, not a secret
QUERY_PARAM = "token"
# The answer goes to ZapSign's webhook log, which the user reads there: both languages, no locale.
QUERY_REFUSED = (
    f"the webhook secret must come in the {SECRET_HEADER} header, never in the URL (?{QUERY_PARAM}=), "
    "where access logs keep it; remove it from the URL, add the header and rotate the secret / "
    f"o segredo do webhook deve vir no cabeçalho {SECRET_HEADER}, nunca na URL (?{QUERY_PARAM}=), "
    "onde os logs de acesso o guardam; tire-o da URL, adicione o cabeçalho e troque o segredo"
)
EMAIL_BOUNCE = "email_bounce"
BACKGROUND_CHECK = "background_check_completed"
#: Events whose body is a whole document (the docs' examples); they must name it by its token.
DOCUMENT_EVENTS = frozenset({
    "doc_created", "doc_signed", "doc_refused", "doc_deleted", "doc_expired", "doc_expiration_alert",
    "created_signer", "signature_notification_sent", "doc_viewed", "doc_read_confirmation",
    "signer_authentication_failed",
})


def _moment(event_type: str, payload: Mapping[str, Any], signer: Mapping[str, Any]) -> Any:
    """What tells this occurrence from another of the same event on the same document and signer.

    The document's ``last_update_at`` by default (the original four events: keys already stored stay
    the same). A view or a notification need not touch the document, so their own time comes first
    (``last_view_at``, ``sent_at``). The expiry alert is sent 7, 3 and 1 days before the deadline in
    bodies that may be identical, so the day it arrives tells them apart (assumed: a re-send of one
    alert on a later day makes a second event; two alerts beat a lost one).
    """
    if event_type in ("doc_viewed", "doc_read_confirmation"):
        return signer.get("last_view_at") or payload.get("last_update_at")
    if event_type == "signature_notification_sent":
        return signer.get("sent_at") or payload.get("last_update_at")
    if event_type == "doc_expiration_alert":
        return f"{payload.get('expiration_date')}|{datetime.now(UTC).date().isoformat()}"
    return payload.get("last_update_at") or signer.get("signed_at") or payload.get("signed_at")


def dedupe_key(payload: Mapping[str, Any]) -> str:
    """``zs:<event_type>:<doc token>:<hash16>``, equal for redeliveries of one event, distinct per signer.

    When a payload has neither ``last_update_at`` nor a signature time (some small events), the
    canonical JSON of the whole body stands in: a redelivery carries the same body.
    """
    event_type = str(payload.get("event_type") or "")
    token = str(payload.get("token") or payload.get("check_id") or "")
    signer = event_signer(dict(payload))
    moment = _moment(event_type, payload, signer)
    if event_type == EMAIL_BOUNCE or not moment:
        moment = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    material = "\x1f".join([token, event_type, str(signer.get("token") or ""), str(moment)])
    digest = hashlib.sha256(material.encode("utf-8")).hexdigest()
    return f"zs:{event_type}:{token}:{digest[:16]}"


class ZapSignWebhook:
    """The connector's :class:`~connectors.sdk.WebhookSpec`."""

    secret_field = "webhook_secret"  # noqa: S105 - the auth field's name

    def generate_secret(self) -> str:
        """48 letters and digits: safe in any HTTP header."""
        return generate_token(48)

    def authenticate(self, request: InboundRequest, config: Mapping[str, Any]) -> None:
        """Accept the delivery only if one of the places we look carries the connection's secret."""
        expected = config.get(self.secret_field)
        if QUERY_PARAM in request.query:  # refused before any compare: no oracle for a logged secret
            raise WebhookAuthError(QUERY_REFUSED)
        bearer = request.header("Authorization") or ""
        candidates = [
            request.header(SECRET_HEADER),
            bearer[7:].strip() if bearer[:7].lower() == "bearer " else None,
        ]
        given = [c for c in candidates if c]
        what = f"webhook secret ({SECRET_HEADER} header)"
        if not expected:
            raise WebhookAuthError("this ZapSign connection has no webhook secret; delivery rejected")
        if not given:
            raise WebhookAuthError(f"missing {what}")
        if not any(constant_time_equals(c, expected) for c in given):
            raise WebhookAuthError(f"wrong {what}")

    def parse(self, body: Any) -> list[InboundEvent]:
        """One event per delivery, statuses normalised. An event type no trigger knows is stored as
        it came (the connection page shows it), as long as it is an object with an ``event_type``."""
        if not isinstance(body, dict):
            raise ValueError("a ZapSign webhook body must be a JSON object")
        event_type = body.get("event_type")
        if not isinstance(event_type, str) or not event_type:
            raise ValueError("the ZapSign webhook body has no event_type")
        if event_type == EMAIL_BOUNCE:
            if not (body.get("token") or body.get("email")):
                raise ValueError("the email_bounce body has neither token nor email")
            payload = dict(body)
        elif event_type == BACKGROUND_CHECK:
            if not isinstance(body.get("check_id"), str) or not body["check_id"]:
                raise ValueError("the ZapSign background_check_completed body has no check_id")
            payload = dict(body)
        elif event_type in DOCUMENT_EVENTS or body.get("token"):
            if not isinstance(body.get("token"), str) or not body["token"]:
                raise ValueError(f"the ZapSign {event_type} body has no document token")
            payload = normalise_document(body)
        else:
            payload = dict(body)
        signer = event_signer(payload)
        occurred = payload.get("last_update_at") or signer.get("signed_at")
        return [InboundEvent(dedupe_key(body), event_type, payload, str(occurred) if occurred else None)]

    def instructions(self, url: str, locale: str) -> str:
        """Where to paste the URL and the secret in ZapSign's web app."""
        if locale.lower().replace("-", "_").startswith("pt"):
            return (
                "1. No ZapSign, abra Configurações → Integração → API ZapSign → Webhooks.\n"
                f"2. Cole esta URL: {url}\n"
                "3. Escolha o evento (ou \"todos\" para os eventos de documento). Para receber também "
                "visualização, confirmação de leitura, signatário adicionado, notificação enviada, falha na "
                "validação, expiração e consulta de antecedentes, marque esses eventos.\n"
                f"4. Em cabeçalhos (headers), adicione {SECRET_HEADER} com o segredo de webhook desta "
                "conexão (nunca na URL: ela fica nos logs de acesso e o Ponte recusa ?token=).\n"
                "5. Salve. O ZapSign reenvia quando não recebe 200; o Ponte ignora duplicatas."
            )
        return (
            "1. In ZapSign, open Settings → Integration → ZapSign API → Webhooks.\n"
            f"2. Paste this URL: {url}\n"
            "3. Pick the event (or \"all\" for every document event). To also receive views, reading "
            "confirmations, signers added, notifications sent, identity-check failures, expiry and "
            "background checks, tick those events.\n"
            f"4. Under headers, add {SECRET_HEADER} with this connection's webhook secret (never in the "
            "URL: it lands in access logs, and Ponte refuses ?token=).\n"
            "5. Save. ZapSign retries when it does not get a 200; Ponte ignores duplicates."
        )
