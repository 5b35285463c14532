"""ZapSign: one trigger per documented webhook event, each run on its documented example."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from app.engine.references import extract
from connectors.zapsign import CONNECTOR
from connectors.zapsign.event_triggers import OTHER_GROUP
from connectors.zapsign.webhook import ZapSignWebhook

HOOK = ZapSignWebhook()

#: Every event of docs.zapsign.com.br/webhooks/eventos → the trigger that starts a recipe on it.
#: Keys are permanent (stored in recipes).
DOCUMENTED = {
    "doc_created": "document_created", "doc_signed": "document_signed", "doc_refused": "document_refused",
    "doc_deleted": "document_deleted", "doc_expired": "document_expired",
    "doc_expiration_alert": "document_expiration_alert", "created_signer": "signer_added",
    "signature_notification_sent": "signature_request_sent", "doc_viewed": "document_viewed",
    "doc_read_confirmation": "document_read_confirmed", "signer_authentication_failed": "signer_authentication_failed",
    "email_bounce": "email_bounced", "background_check_completed": "background_check_completed",
}
SIGNER_EVENTS = {  # event → the signer it is about, in the documented example
    "created_signer": "joao.andrade@example.com", "signature_notification_sent": "maria.souza@example.com",
    "doc_viewed": "maria.souza@example.com", "doc_read_confirmation": "maria.souza@example.com",
    "signer_authentication_failed": "maria.souza@example.com",
}


def test_every_documented_event_has_a_trigger_and_an_example() -> None:
    assert sorted(t.key for t in CONNECTOR.triggers) == sorted(DOCUMENTED.values())
    from connectors.zapsign.triggers import WEBHOOK_EXAMPLES
    assert set(DOCUMENTED) <= set(WEBHOOK_EXAMPLES)


@pytest.mark.parametrize(("event", "key"), DOCUMENTED.items())
def test_the_documented_example_fires_its_trigger_only(event: str, key: str, example: Any) -> None:
    [inbound] = HOOK.parse(example(event))
    assert inbound.event_type == event
    firing = [t.key for t in CONNECTOR.triggers if t.fires_on(event, inbound.payload, {"when": "every_signature"}
                                                                if t.key == "document_signed" else {})]
    assert firing == [key]
    trigger = CONNECTOR.trigger(key)
    output = trigger.output(None, inbound.payload, {})  # type: ignore[arg-type]
    jsonschema.validate(output, trigger.output_schema)
    assert output["event"] == event
    assert trigger.summary is not None and trigger.summary(output, "pt_BR")
    assert extract(f"zapsign.{trigger.key}", output), f"{key} gives the run search nothing"


@pytest.mark.parametrize("event", [e for e in DOCUMENTED if e not in ("email_bounce", "background_check_completed")])
def test_document_events_name_the_document_and_a_signer_e_mail(event: str, example: Any) -> None:
    trigger = CONNECTOR.trigger(DOCUMENTED[event])
    refs = extract(f"zapsign.{trigger.key}", trigger.output(None, example(event), {}))  # type: ignore[arg-type]
    assert refs["document"] == "eb9c367a-e62f-4992-8360-b0219deaeecc"
    assert refs["email"] == SIGNER_EVENTS.get(event, "maria.souza@example.com")


@pytest.mark.parametrize(("event", "email"), SIGNER_EVENTS.items())
def test_the_signer_is_the_one_the_event_is_about(event: str, email: str, example: Any) -> None:
    output = CONNECTOR.trigger(DOCUMENTED[event]).output(None, example(event), {})  # type: ignore[arg-type]
    assert output["signer"]["email"] == email
    assert "created_signer" not in output["document"] and "signer_who_viewed" not in output["document"]


def test_authentication_failure_says_why_and_attempts(example: Any) -> None:
    trigger = CONNECTOR.trigger("signer_authentication_failed")
    signer = trigger.output(None, example("signer_authentication_failed"), {})["signer"]  # type: ignore[arg-type]
    assert signer["attempts_used"] == signer["max_attempts"] == 3
    assert "selfie" in signer["authentication_failure_reason"] and signer["status"] == "link_opened"


def test_expiry_events_carry_the_deadline(example: Any) -> None:
    for key, event in (("document_expired", "doc_expired"), ("document_expiration_alert", "doc_expiration_alert")):
        output = CONNECTOR.trigger(key).output(None, example(event), {})  # type: ignore[arg-type]
        assert output["document"]["expiration_date"].startswith("2025-03-03")


def test_deleted_document_says_so(example: Any) -> None:
    output = CONNECTOR.trigger("document_deleted").output(None, example("doc_deleted"), {})  # type: ignore[arg-type]
    assert output["document"]["deleted"] is True and output["document"]["deleted_at"]


def test_email_bounce_output_and_references(example: Any) -> None:
    trigger = CONNECTOR.trigger("email_bounced")
    output = trigger.output(None, example("email_bounce"), {})  # type: ignore[arg-type]
    assert output["email"] == "maria.souza@exemplo-invalido.com.br" and output["delivered"] is False
    assert extract(f"zapsign.{trigger.key}", output)["email"] == output["email"]
    assert "550" in trigger.summary(output, "en")  # type: ignore[misc]


def test_background_check_has_no_document_but_is_found_by_cpf(example: Any) -> None:
    trigger = CONNECTOR.trigger("background_check_completed")
    output = trigger.output(None, example("background_check_completed"), {})  # type: ignore[arg-type]
    refs = extract(f"zapsign.{trigger.key}", output)
    assert refs["check"] == "CHK0163c33c219452ef3fdaa37ff0bf33f4" and refs["national_id"] == "24971563792"
    assert trigger.summary(output, "pt_BR") == "Maria Souza · completed · CHK0163c33c219452ef3fdaa37ff0bf33f4"  # type: ignore[misc]


def test_the_everyday_triggers_come_first_and_the_rest_are_grouped() -> None:
    groups = [t.group for t in CONNECTOR.triggers]
    assert groups[:3] == ["", "", ""] and set(groups[3:]) == {OTHER_GROUP}
    assert CONNECTOR.text(OTHER_GROUP, "pt_BR") == "Outros eventos de documento e de signatário"


def test_events_zapsign_does_not_send_to_the_registered_webhook_say_so() -> None:
    """The API registers "" (created, signed, deleted, refused) and email_bounce; the rest need a tick."""
    registered = {"document_created", "document_signed", "document_refused", "document_deleted", "email_bounced"}
    for trigger in CONNECTOR.triggers:
        assert ("webhook settings" in trigger.description) == (trigger.key not in registered), trigger.key
