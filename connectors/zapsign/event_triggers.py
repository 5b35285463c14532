"""A trigger for every other event ZapSign's webhook docs list (docs.zapsign.com.br/webhooks/eventos,
read 2026-12; mirror gabernardi/zapsign-api-docs ``webhooks/eventos/**``).

Payload shapes, from each event's documented example (``webhook_examples.json`` keeps one of each):

- ``doc_deleted``, ``doc_expired``, ``doc_expiration_alert``: the whole document, as ``doc_created``;
  ``deleted: true`` and ``deleted_at`` on a deletion, ``expiration_date`` on the two expiry events.
  The alert is sent 7, 3 and 1 days before the deadline.
- ``created_signer``, ``signature_notification_sent``, ``doc_viewed``, ``doc_read_confirmation``,
  ``signer_authentication_failed``: the whole document plus the signer the event is about, under
  ``created_signer`` (both of the first two: the docs' example of the notification reuses that
  name), ``signer_who_viewed``, ``signer_who_read`` and ``unauthenticated_signer``. The notification
  adds ``notification_channel`` (email / whatsapp) and ``sent_at``; the authentication failure
  ``max_attempts``, ``attempts_used`` and ``authentication_failure_reason``. These go to
  ``$.signer``, so the document triggers' output shape serves them all.
- ``email_bounce``: small, ``{email, token, type, status, status_code, error, delivered}``. Assumed:
  ``token`` is the signer's (the docs advise fixing the address with "update signer", which takes a
  signer token); not confirmed, so the output calls it just ``token``.
- ``background_check_completed``: no document at all, a background check (``check_id``, ``status``,
  ``score``, ``check_type`` person/company, names, ``national_id``, ``tax_id``, ``country``...).

ZapSign's create-webhook API documents the types ``""`` (all document events: created, signed,
deleted, refused) and ``email_bounce`` only, which are what Ponte registers (webhook_admin.py). The
other events arrive only when the user ticks them in ZapSign's web app; the descriptions say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.sdk import Context, Trigger, load_json
from connectors.sdk.base import JSON

from .triggers import OUTPUT_FIELDS, OUTPUT_SCHEMA, REFERENCES, WEBHOOK_EXAMPLES, prepare, summary

OTHER_GROUP = "Other document and signer events"
EMAIL_BOUNCE_SCHEMA: JSON = load_json(__file__, "email_bounce.schema.json")
BACKGROUND_CHECK_SCHEMA: JSON = load_json(__file__, "background_check.schema.json")
MANUAL = " ZapSign sends it only when the event is ticked in its webhook settings (web app)."


def _document_trigger(key: str, event: str, title: str, description: str) -> Trigger:
    return Trigger(
        key=key, title=title, description=description, output_schema=OUTPUT_SCHEMA,
        sample=prepare(None, WEBHOOK_EXAMPLES[event], {}), event_types=(event,), summary=summary,
        prepare=prepare, references=REFERENCES, group=OTHER_GROUP,
        output_fields=OUTPUT_FIELDS,  # the same document/signer output as the older triggers: same labels
    )


def prepare_email_bounce(ctx: Context | None, payload: JSON, options: Mapping[str, Any]) -> JSON:
    """The bounce as ZapSign sends it, under names a mapping can read (``$.email``, ``$.error``)."""
    fields = ("email", "token", "type", "status", "status_code", "error", "delivered")
    return {"event": payload.get("event_type") or "email_bounce", **{k: payload.get(k) for k in fields}}


def summary_email_bounce(output: JSON, locale: str) -> str:
    """"maria@… · 550 5.1.1 …": the address and why it failed."""
    return " · ".join(str(x) for x in (output.get("email"), output.get("error")) if x)


def prepare_background_check(ctx: Context | None, payload: JSON, options: Mapping[str, Any]) -> JSON:
    """``{event, check}``: the background check without the envelope's event name."""
    check = {k: v for k, v in payload.items() if k != "event_type"}
    return {"event": payload.get("event_type") or "background_check_completed", "check": check}


def summary_background_check(output: JSON, locale: str) -> str:
    """"Maria Souza · completed · CHK…": who was checked, the outcome, the check id."""
    found = output.get("check")
    check: JSON = found if isinstance(found, dict) else {}
    who = check.get("full_name") or check.get("company_name")
    return " · ".join(str(x) for x in (who, check.get("status"), check.get("check_id")) if x)


DOCUMENT_DELETED = _document_trigger(
    "document_deleted", "doc_deleted", "Document deleted",
    "A ZapSign document was deleted, in the web app or through the API.")
DOCUMENT_EXPIRED = _document_trigger(
    "document_expired", "doc_expired", "Document expired",
    "A ZapSign document's signing deadline passed before everyone signed." + MANUAL)
DOCUMENT_EXPIRATION_ALERT = _document_trigger(
    "document_expiration_alert", "doc_expiration_alert", "Document about to expire",
    "A ZapSign document's signing deadline is near: sent 7, 3 and 1 days before it." + MANUAL)
SIGNER_ADDED = _document_trigger(
    "signer_added", "created_signer", "Signer added",
    "A signer was added to a ZapSign document in progress; $.signer is the new signer." + MANUAL)
SIGNATURE_REQUEST_SENT = _document_trigger(
    "signature_request_sent", "signature_notification_sent", "Signature request sent",
    "ZapSign sent a signer the signing link by e-mail or WhatsApp; $.signer is that signer." + MANUAL)
DOCUMENT_VIEWED = _document_trigger(
    "document_viewed", "doc_viewed", "Document viewed",
    "A signer opened the signing link of a ZapSign document; $.signer is that signer." + MANUAL)
DOCUMENT_READ_CONFIRMED = _document_trigger(
    "document_read_confirmed", "doc_read_confirmation", "Reading confirmed",
    "A signer confirmed having read a ZapSign document; $.signer is that signer." + MANUAL)
SIGNER_AUTHENTICATION_FAILED = _document_trigger(
    "signer_authentication_failed", "signer_authentication_failed", "Signer identity check failed",
    "A signer used up the attempts to prove their identity (facial recognition, identity validation) "
    "and cannot sign until the method changes or the attempts are reset." + MANUAL)

EMAIL_BOUNCED = Trigger(
    key="email_bounced",
    title="E-mail not delivered",
    description="ZapSign could not deliver an e-mail to a signer (bounce); $.error says why.",
    output_schema=EMAIL_BOUNCE_SCHEMA,
    sample=prepare_email_bounce(None, WEBHOOK_EXAMPLES["email_bounce"], {}),
    event_types=("email_bounce",),
    prepare=prepare_email_bounce,
    summary=summary_email_bounce,
    references={"email": "$.email", "token": "$.token"},
    group=OTHER_GROUP,
)

BACKGROUND_CHECK_COMPLETED = Trigger(
    key="background_check_completed",
    title="Background check completed",
    description="A ZapSign background check of a person or company finished." + MANUAL,
    output_schema=BACKGROUND_CHECK_SCHEMA,
    sample=prepare_background_check(None, WEBHOOK_EXAMPLES["background_check_completed"], {}),
    event_types=("background_check_completed",),
    prepare=prepare_background_check,
    summary=summary_background_check,
    references={"check": "$.check.check_id", "national_id": "$.check.national_id",
                "tax_id": "$.check.tax_id", "name": "$.check.full_name"},
    group=OTHER_GROUP,
)

TRIGGERS = (DOCUMENT_DELETED, DOCUMENT_EXPIRED, DOCUMENT_EXPIRATION_ALERT, SIGNER_ADDED, SIGNATURE_REQUEST_SENT,
            DOCUMENT_VIEWED, DOCUMENT_READ_CONFIRMED, SIGNER_AUTHENTICATION_FAILED, EMAIL_BOUNCED,
            BACKGROUND_CHECK_COMPLETED)
