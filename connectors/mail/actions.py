"""The ``send_email`` action: check the input, build the message, hand it to the SMTP server."""

from __future__ import annotations

import datetime as dt

from jsonschema import Draft202012Validator

from connectors.sdk import Action, ConfigError, Context, PermanentError, load_json
from connectors.sdk.base import JSON

from . import smtp
from .attachments import Attachment, download_pdf, link_lines
from .message import (
    ADDRESS_RE,
    Recipient,
    build_message,
    check_headers,
    message_id,
    parse_recipients,
    unique_addresses,
)
from .notices import summary
from .templates import render_html

INPUT_SCHEMA = load_json(__file__, "send_email.input.json")
OUTPUT_SCHEMA = load_json(__file__, "send_email.output.json")
SAMPLE = load_json(__file__, "send_email.sample.json")
_INPUT = Draft202012Validator(INPUT_SCHEMA)

IDEMPOTENCY = (
    "SMTP has no idempotency: a message handed to the server cannot be looked up or recalled. The "
    "Message-ID is derived from the step's idempotency key (<ponte.{sha256(key)[:24]}@{from domain}>) "
    "and the key travels in X-Ponte-Idempotency-Key, so a duplicate that slips through (a retry after "
    "a connection lost during DATA, reported as ambiguous) carries the same Message-ID and mail "
    "clients can recognise it. The engine never re-runs a step that succeeded."
)


def check_input(data: JSON) -> None:
    """All schema problems at once, each with its path, as one PermanentError."""
    problems = sorted(_INPUT.iter_errors(data), key=lambda e: list(e.absolute_path))
    if problems:
        listed = "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '(input)'}: {e.message}"
                           for e in problems)
        raise PermanentError(f"send_email input is invalid: {listed}")


def body_of(data: JSON) -> tuple[str | None, str | None]:
    """(text, html) from ``text``, ``html`` or a rendered ``html_template``."""
    text, html, template = data.get("text"), data.get("html"), data.get("html_template")
    if html is not None and template is not None:
        raise PermanentError("give either html or html_template, not both")
    if template is not None:
        html = render_html(template, data.get("variables"))
    if not text and not html:
        raise PermanentError("the email has no body: give text, html or html_template")
    return text or None, html or None


LINK_TEXT = "Contrato assinado (PDF)"


def signed_pdf(data: JSON, text: str | None, html: str | None) -> tuple[str | None, str | None, Attachment | None]:
    """``attach_signed_pdf``: the body with the link (``as: link``), or the downloaded PDF to attach."""
    pdf = data.get("attach_signed_pdf")
    if not pdf:
        return text, html, None
    if pdf.get("as") == "link":
        text_line, html_line = link_lines(str(pdf["url"]), str(pdf.get("link_text") or LINK_TEXT))
        return (text + text_line if text else text), (html + html_line if html else html), None
    return text, html, download_pdf(str(pdf["url"]), pdf.get("filename"))


def send_email(ctx: Context, data: JSON) -> JSON:
    """Send one email through the connection's SMTP server (with the signed PDF, when asked: it is
    downloaded before the SMTP connection opens, so a bad link fails the step and sends nothing)."""
    check_input(data)
    settings = smtp.SmtpSettings.from_config(ctx.config)
    if not ADDRESS_RE.match(settings.from_address):
        raise ConfigError(f"from_address {settings.from_address!r} is not a valid email address")
    to = parse_recipients(data["to"], "to")
    if not to:
        raise PermanentError("to has no address")
    cc = parse_recipients(data.get("cc"), "cc")
    bcc = parse_recipients(data.get("bcc"), "bcc")
    reply_to = parse_recipients(data.get("reply_to"), "reply_to")
    text, html, attachment = signed_pdf(data, *body_of(data))
    domain = settings.from_address.rsplit("@", 1)[1]
    mid = message_id(domain, ctx.idempotency_key)
    message = build_message(
        sender=Recipient(settings.from_name, settings.from_address),
        to=to,
        cc=cc,
        reply_to=reply_to,
        subject=data["subject"],
        text=text,
        html=html,
        headers=check_headers(data.get("headers")),
        message_id=mid,
        idempotency_key=ctx.idempotency_key,
        now=dt.datetime.now(dt.UTC),
    )
    if attachment is not None:
        message.add_attachment(attachment.content, maintype="application", subtype="pdf",
                               filename=attachment.filename)
    recipients = unique_addresses(to, cc, bcc)
    if ctx.attempt > 1:
        ctx.logger.warning("email %s: attempt %d; SMTP cannot tell whether an earlier attempt was "
                           "delivered, sending again with the same Message-ID", mid, ctx.attempt)
    refused = smtp.send(settings, message, recipients)
    accepted = [address for address in recipients if address not in refused]
    ctx.logger.info("email %s accepted for %d recipient(s), %d refused", mid, len(accepted), len(refused))
    output: JSON = {
        "message_id": mid,
        "accepted": accepted,
        "refused": {address: {"code": code, "message": reply} for address, (code, reply) in refused.items()},
    }
    if attachment is not None:
        output["attached"] = [{"filename": attachment.filename, "bytes": len(attachment.content)}]
    return output


SEND_EMAIL = Action(
    key="send_email",
    title="Send email",
    description="Send an email (plain text, HTML or a sandboxed HTML template) through your SMTP server.",
    input_schema=INPUT_SCHEMA,
    output_schema=OUTPUT_SCHEMA,
    sample=SAMPLE,
    run=send_email,
    idempotency=IDEMPOTENCY,
    summary=summary,
)
