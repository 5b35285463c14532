"""Inbound ZapSign webhooks: fail-closed auth, parsing, dedupe keys and status normalisation."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.sdk import InboundRequest, WebhookAuthError
from connectors.zapsign import CONNECTOR
from connectors.zapsign.status import document_status, signer_status
from connectors.zapsign.webhook import dedupe_key

SECRET = "s" * 48
HOOK = CONNECTOR.webhook
assert HOOK is not None


def request(headers: dict[str, str] | None = None, query: dict[str, str] | None = None) -> InboundRequest:
    return InboundRequest(headers={k.lower(): v for k, v in (headers or {}).items()}, query=query or {},
                          body=b"{}")


@pytest.mark.parametrize(
    ("req", "config"),
    [
        (request(), {"webhook_secret": SECRET}),
        (request({"X-Ponte-Secret": "wrong"}), {"webhook_secret": SECRET}),
        (request({"Authorization": "Bearer wrong"}), {"webhook_secret": SECRET}),
        (request(query={"token": "wrong"}), {"webhook_secret": SECRET}),
        (request({"X-Ponte-Secret": SECRET}), {}),
        (request({"X-Ponte-Secret": ""}), {"webhook_secret": ""}),
        (request({"Authorization": SECRET}), {"webhook_secret": SECRET}),  # not a Bearer header
    ],
)
def test_deliveries_without_the_secret_are_rejected(req: InboundRequest, config: dict[str, Any]) -> None:
    with pytest.raises(WebhookAuthError):
        HOOK.authenticate(req, config)


@pytest.mark.parametrize(
    "req",
    [
        request({"X-Ponte-Secret": SECRET}),
        request({"Authorization": f"Bearer {SECRET}"}),
        request({"X-Ponte-Secret": "stale", "Authorization": f"Bearer {SECRET}"}),
    ],
)
def test_the_secret_in_a_header_is_accepted(req: InboundRequest) -> None:
    HOOK.authenticate(req, {"webhook_secret": SECRET})


@pytest.mark.parametrize("req", [
    request(query={"token": SECRET}),
    request({"X-Ponte-Secret": SECRET}, query={"token": SECRET}),  # even beside a good header
    request({"X-Ponte-Secret": SECRET}, query={"token": ""}),
])
def test_a_secret_in_the_query_string_is_refused_with_its_own_message(req: InboundRequest) -> None:
    with pytest.raises(WebhookAuthError) as caught:
        HOOK.authenticate(req, {"webhook_secret": SECRET})
    message = caught.value.user_message
    assert "X-Ponte-Secret header, never in the URL (?token=)" in message
    assert "cabeçalho X-Ponte-Secret, nunca na URL" in message and "troque o segredo" in message
    assert SECRET not in message


def test_generated_secrets_are_long_and_url_safe() -> None:
    secrets = {HOOK.generate_secret() for _ in range(20)}
    assert len(secrets) == 20
    assert all(len(s) >= 40 and s.isalnum() for s in secrets)


def test_dedupe_key_is_stable_for_the_same_delivery(example: Any) -> None:
    first = HOOK.parse(example("doc_signed"))[0]
    again = HOOK.parse(example("doc_signed"))[0]
    assert first.dedupe_key == again.dedupe_key
    assert first.dedupe_key.startswith("zs:doc_signed:eb9c367a-e62f-4992-8360-b0219deaeecc:")
    assert len(first.dedupe_key.rsplit(":", 1)[1]) == 16


def test_dedupe_key_differs_per_signer_and_per_event(example: Any) -> None:
    one, two = example("doc_signed"), example("doc_signed")
    two["signer_who_signed"]["token"] = "another-signer"
    refused = example("doc_signed") | {"event_type": "doc_refused"}
    keys = {dedupe_key(one), dedupe_key(two), dedupe_key(refused)}
    assert len(keys) == 3


def test_parse_normalises_statuses_and_keeps_the_raw_ones(example: Any) -> None:
    event = HOOK.parse(example("doc_refused"))[0]
    assert event.event_type == "doc_refused"
    assert event.payload["status"] == "refused" and event.payload["status_raw"] == "recusado"
    assert event.payload["signers"][0]["status"] == "link_opened"
    assert event.payload["signers"][0]["status_raw"] == "abriu-link"
    assert event.occurred_at == "2025-02-24T16:40:02.118200Z"


def test_unknown_event_types_are_parsed_normally(example: Any) -> None:
    body = example("doc_created") | {"event_type": "doc_teleported"}
    [event] = HOOK.parse(body)
    assert event.event_type == "doc_teleported"
    assert not any(t.fires_on(event.event_type, event.payload, {}) for t in CONNECTOR.triggers)


def test_email_bounce_has_its_own_small_shape() -> None:
    body = {"event_type": "email_bounce", "email": "maria@invalido.example", "token": "921c115d",
            "type": "signer", "status": "bounced", "status_code": 550, "error": "mailbox unavailable",
            "delivered": False}
    [event] = HOOK.parse(body)
    assert event.event_type == "email_bounce"
    assert event.dedupe_key == HOOK.parse(dict(body))[0].dedupe_key


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"token": "abc"}, "event_type"),
        ({"event_type": "doc_signed"}, "token"),
        ({"event_type": "email_bounce"}, "email_bounce"),
        (["not", "an", "object"], "object"),
    ],
)
def test_malformed_bodies_raise_value_error_with_a_reason(body: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        HOOK.parse(body)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("pending", "pending"), ("signed", "signed"), ("recusado", "refused"), ("refused", "refused"),
     ("surprise", "surprise")],
)
def test_document_status_table(raw: str, normal: str) -> None:
    assert document_status(raw) == normal


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("new", "new"), ("nao_abriu", "new"), ("link-opened", "link_opened"), ("abriu-link", "link_opened"),
     ("abriu", "link_opened"), ("signed", "signed"), ("assinou", "signed"), ("recusou", "refused"),
     ("refused", "refused"), ("expirou", "expired"), ("cancelado", "cancelled")],
)
def test_signer_status_table(raw: str, normal: str) -> None:
    assert signer_status(raw) == normal


@pytest.mark.parametrize("locale", ["pt_BR", "en"])
def test_instructions_name_the_url_and_the_header_never_a_query_token(locale: str) -> None:
    text = HOOK.instructions("https://ponte.example.com/webhooks/abc", locale)
    assert "https://ponte.example.com/webhooks/abc" in text
    assert "X-Ponte-Secret" in text
    assert ("recusa ?token=" in text) == (locale == "pt_BR") and ("refuses ?token=" in text) == (locale == "en")
    assert ("Configurações" in text) == (locale == "pt_BR")


def test_a_background_check_has_no_document_token_and_is_stored(example: Any) -> None:
    [event] = HOOK.parse(example("background_check_completed"))
    assert event.event_type == "background_check_completed"
    assert "CHK0163c33c219452ef3fdaa37ff0bf33f4" in event.dedupe_key
    with pytest.raises(ValueError, match="check_id"):
        HOOK.parse({"event_type": "background_check_completed"})


def test_an_unknown_event_without_a_token_is_kept_as_it_came() -> None:
    """Nothing a future ZapSign event sends is refused for lacking a document: it is stored and shown."""
    body = {"event_type": "folder_archived", "folder": "/contratos/", "at": "2026-12-01T10:00:00Z"}
    [event] = HOOK.parse(body)
    assert event.payload == body and event.dedupe_key == HOOK.parse(dict(body))[0].dedupe_key


def test_views_by_two_signers_and_two_views_are_distinct_events(example: Any) -> None:
    first = example("doc_viewed")
    other_signer = example("doc_viewed")
    other_signer["signer_who_viewed"]["token"] = "5f0c2d1e-8b7a-4c3e-9d21-7a6b5c4d3e2f"
    later = example("doc_viewed")
    later["signer_who_viewed"]["last_view_at"] = "2025-02-25T08:00:00.000000Z"
    keys = {HOOK.parse(body)[0].dedupe_key for body in (first, other_signer, later)}
    assert len(keys) == 3
    assert HOOK.parse(example("doc_viewed"))[0].dedupe_key == HOOK.parse(first)[0].dedupe_key


def test_two_notifications_to_one_signer_are_distinct_events(example: Any) -> None:
    again = example("signature_notification_sent")
    again["created_signer"]["sent_at"] = "2025-02-26T09:00:00.000000Z"
    assert (HOOK.parse(example("signature_notification_sent"))[0].dedupe_key
            != HOOK.parse(again)[0].dedupe_key)


def test_the_older_events_keep_their_dedupe_keys(example: Any) -> None:
    """Keys already stored must not change: doc_signed is still token + signer who signed + last_update_at."""
    import hashlib

    body = example("doc_signed")
    material = "\x1f".join([body["token"], "doc_signed", body["signer_who_signed"]["token"], body["last_update_at"]])
    expected = f"zs:doc_signed:{body['token']}:{hashlib.sha256(material.encode()).hexdigest()[:16]}"
    assert HOOK.parse(body)[0].dedupe_key == expected
