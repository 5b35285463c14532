"""Inbound Asaas webhooks: the ``asaas-access-token`` header, the event envelope, setup text.

Asaas delivers at least once (a re-sent event keeps its ``evt_…`` id, our dedupe key), counts
only HTTP 200 within 10 s as success, and pauses a webhook queue after 15 consecutive failures.
The engine answers fast and processes later; this module only authenticates and parses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from connectors.sdk import InboundEvent, InboundRequest, generate_token, mask_sensitive, require_secret

HEADER = "asaas-access-token"
# A card payment carries ``creditCard.creditCardToken``, which charges the card again without its data
# (docs: "Tokenização de cartão de crédito"); a card's security code may appear as ``ccv`` or
# ``creditCardCcv`` in requests. Ponte never keeps them.
SENSITIVE = frozenset({"creditCardToken", "ccv", "creditCardCcv"})
TOKEN_MIN, TOKEN_MAX = 32, 255
_REPEATED = re.compile(r"(.)\1{3}")  # the same character 4 times in a row


def token_problems(token: str) -> list[str]:
    """Why Asaas would refuse ``token`` as a webhook "Token de autenticação" (empty when fine).

    Rules from the Asaas docs: 32–255 characters, no whitespace, no numeric sequence (we reject
    any run of 3 consecutive ascending or descending digits such as 123 or 987), no character
    repeated 4 times in a row, and not an Asaas API key.
    """
    problems = []
    if not TOKEN_MIN <= len(token) <= TOKEN_MAX:
        problems.append(f"must have {TOKEN_MIN} to {TOKEN_MAX} characters (has {len(token)})")
    if any(ch.isspace() for ch in token):
        problems.append("must not contain whitespace")
    if _has_digit_sequence(token):
        problems.append("must not contain a numeric sequence such as 123")
    if _REPEATED.search(token):
        problems.append("must not repeat a character 4 times in a row")
    if token.startswith("$aact_"):
        problems.append("must not be an Asaas API key")
    return problems


def _has_digit_sequence(token: str) -> bool:
    for a, b, c in zip(token, token[1:], token[2:], strict=False):
        if a.isdigit() and b.isdigit() and c.isdigit():
            x, y, z = int(a), int(b), int(c)
            if (y - x == 1 and z - y == 1) or (x - y == 1 and y - z == 1):
                return True
    return False


_INSTRUCTIONS = {
    "pt_BR": (
        "1. No Asaas, abra Integrações → Webhooks e clique em \"Adicionar\".\n"
        "2. Cole a URL: {url}\n"
        "3. Em \"Token de autenticação\", cole o token desta conexão.\n"
        "4. Versão da API: v3. Tipo de envio: Sequencial (SEQUENTIALLY).\n"
        "5. Marque os eventos de cobrança (PAYMENT_…) que suas receitas usam e salve.\n"
        "O Asaas só considera entregue uma resposta HTTP 200 em até 10 s; o Ponte responde na hora."
    ),
    "en": (
        "1. In Asaas, open Integrações (Integrations) → Webhooks and click \"Add\".\n"
        "2. Paste the URL: {url}\n"
        "3. Paste this connection's token into \"Token de autenticação\" (authentication token).\n"
        "4. API version: v3. Send type: Sequential (SEQUENTIALLY).\n"
        "5. Tick the payment events (PAYMENT_…) your recipes use, and save.\n"
        "Asaas counts only an HTTP 200 within 10 s as delivered; Ponte answers at once."
    ),
}


class AsaasWebhook:
    """The :class:`~connectors.sdk.WebhookSpec` of the Asaas connector."""

    secret_field = "webhook_token"  # noqa: S105 - a field name, not a secret

    def generate_secret(self) -> str:
        """A random token that meets every Asaas rule (drawn again until it does)."""
        while True:
            token = generate_token(48)
            if not token_problems(token):
                return token

    def instructions(self, url: str, locale: str) -> str:
        text = _INSTRUCTIONS["pt_BR" if locale.lower().replace("-", "_").startswith("pt") else "en"]
        return text.format(url=url)

    def authenticate(self, request: InboundRequest, config: Mapping[str, Any]) -> None:
        """Fail closed: no configured token, no header or a different token all raise."""
        require_secret(request.header(HEADER), config.get(self.secret_field), what=f"{HEADER} header")

    def parse(self, body: Any) -> list[InboundEvent]:
        """One event per delivery. Unknown fields and non-payment families are kept as they are."""
        if not isinstance(body, dict):
            raise ValueError("an Asaas webhook body must be a JSON object")
        event_id, event = body.get("id"), body.get("event")
        if not isinstance(event_id, str) or not event_id:
            raise ValueError("the Asaas event has no 'id' (expected a string like 'evt_…')")
        if not isinstance(event, str) or not event:
            raise ValueError("the Asaas event has no 'event' name (expected e.g. 'PAYMENT_CREATED')")
        occurred = body.get("dateCreated")
        return [
            InboundEvent(
                dedupe_key=event_id,
                event_type=event,
                payload=mask_sensitive(body, SENSITIVE),
                occurred_at=occurred if isinstance(occurred, str) else None,
            )
        ]


WEBHOOK = AsaasWebhook()
