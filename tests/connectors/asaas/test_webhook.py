"""Inbound Asaas webhooks: fail-closed token check, the envelope, the token rules, setup text."""

from __future__ import annotations

import copy

import pytest

from connectors.asaas import CONNECTOR
from connectors.asaas.triggers import SAMPLE
from connectors.asaas.webhook import WEBHOOK, token_problems
from connectors.sdk import InboundRequest, WebhookAuthError
from tests.connectors.asaas.fakes import TOKEN


def delivery(headers: dict[str, str]) -> InboundRequest:
    return InboundRequest(headers={k.lower(): v for k, v in headers.items()}, query={}, body=b"{}")


def envelope(event: str = "PAYMENT_CREATED") -> dict:
    return {"id": "evt_05b708f961d739ea7eba7e4db318f621&7659763", "event": event,
            "dateCreated": "2025-02-24 13:06:00", "payment": copy.deepcopy(SAMPLE["payment"])}


def test_the_connector_exposes_the_webhook_spec() -> None:
    assert CONNECTOR.webhook is WEBHOOK
    assert WEBHOOK.secret_field == "webhook_token"
    assert "webhook_token" in CONNECTOR.secret_fields()


def test_the_right_token_passes() -> None:
    WEBHOOK.authenticate(delivery({"asaas-access-token": TOKEN}), {"webhook_token": TOKEN})


@pytest.mark.parametrize(
    ("headers", "config"),
    [
        ({}, {"webhook_token": TOKEN}),
        ({"asaas-access-token": "x" + TOKEN[1:]}, {"webhook_token": TOKEN}),
        ({"asaas-access-token": ""}, {"webhook_token": TOKEN}),
        ({"asaas-access-token": TOKEN}, {}),
        ({"asaas-access-token": ""}, {"webhook_token": ""}),
        ({"access_token": TOKEN}, {"webhook_token": TOKEN}),
    ],
    ids=["missing", "wrong", "empty", "unset-secret", "both-empty", "other-header"],
)
def test_deliveries_without_the_token_are_rejected(headers: dict, config: dict) -> None:
    with pytest.raises(WebhookAuthError):
        WEBHOOK.authenticate(delivery(headers), config)


def test_the_event_id_is_the_dedupe_key() -> None:
    [event] = WEBHOOK.parse(envelope())
    assert event.dedupe_key == "evt_05b708f961d739ea7eba7e4db318f621&7659763"
    assert event.event_type == "PAYMENT_CREATED"
    assert event.occurred_at == "2025-02-24 13:06:00"
    assert event.payload["payment"]["id"] == "pay_n6ic32hq5hr1xcr1"


def test_unknown_fields_and_other_families_are_parsed() -> None:
    body = {"id": "evt_aa&1", "event": "INVOICE_CREATED", "dateCreated": "2025-02-24 13:06:00",
            "invoice": {"id": "inv_1"}, "somethingNew": {"x": 1}}
    [event] = WEBHOOK.parse(body)
    assert event.event_type == "INVOICE_CREATED"
    assert event.payload["somethingNew"] == {"x": 1}
    assert not any(t.fires_on(event.event_type, body, {}) for t in CONNECTOR.triggers)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ([], "JSON object"),
        ({"event": "PAYMENT_CREATED"}, "'id'"),
        ({"id": 123, "event": "PAYMENT_CREATED"}, "'id'"),
        ({"id": "evt_1&1"}, "'event'"),
        ({"id": "evt_1&1", "event": ["PAYMENT_CREATED"]}, "'event'"),
    ],
)
def test_malformed_envelopes_raise_with_a_reason(body: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        WEBHOOK.parse(body)


def test_a_missing_date_is_tolerated() -> None:
    [event] = WEBHOOK.parse({"id": "evt_1&1", "event": "PAYMENT_CREATED"})
    assert event.occurred_at is None


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        ("a" * 31, "32 to 255"),
        ("a" * 256, "32 to 255"),
        ("Wq7rTzK0pLm4Xv9b Nc2hYd6sFa8jRe1uGt5kQw3Zx", "whitespace"),
        ("Wq7rTzK0pLm4Xv9bNc2hYd6sFa8jRe1uGt5kQw3Zx12345", "numeric sequence"),
        ("Wq7rTzK0pLm4Xv9bNc2hYd6sFa8jRe1uGt5kQw3Zx789", "numeric sequence"),
        ("Wq7rTzK0pLm4Xv9bNc2hYd6sFa8jRe1uGt5kQw3Zx321", "numeric sequence"),
        ("Wq7rTzK0pLm4Xv9bNc2hYd6sFa8jRe1uGt5kQw3Zxaaaa", "4 times"),
        ("$aact_hmlg_000MzkwODA2MWY2OGM3MWRlMDU2NWM3MzJl", "API key"),
    ],
)
def test_token_rules(token: str, problem: str) -> None:
    assert any(problem in p for p in token_problems(token))


def test_token_rules_accept_a_good_token() -> None:
    assert token_problems(TOKEN) == []
    assert token_problems("Wq7rTzK0pLm4Xv9bNc2hYd6sFa8jRe1uGt5kQw3Zx135aaa") == []


def test_generated_secrets_meet_every_asaas_rule() -> None:
    secrets = {WEBHOOK.generate_secret() for _ in range(300)}
    assert len(secrets) == 300
    assert all(token_problems(s) == [] for s in secrets)


def test_generate_secret_draws_again_until_the_token_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = iter(["a" * 40 + "1234", "b" * 48, "Wq7rTzK0pLm4Xv9bNc2hYd6sFa8jRe1uGt5kQw3Zx"])
    monkeypatch.setattr("connectors.asaas.webhook.generate_token", lambda length: next(drawn))
    assert WEBHOOK.generate_secret() == "Wq7rTzK0pLm4Xv9bNc2hYd6sFa8jRe1uGt5kQw3Zx"


@pytest.mark.parametrize(("locale", "words"), [("pt_BR", "Token de autenticação"), ("pt-BR", "Integrações"),
                                                ("en", "Tick the payment events")])
def test_instructions_name_the_steps_in_the_locale(locale: str, words: str) -> None:
    text = WEBHOOK.instructions("https://ponte.example/webhooks/abc", locale)
    assert "https://ponte.example/webhooks/abc" in text
    assert words in text
    assert "SEQUENTIALLY" in text and "v3" in text
