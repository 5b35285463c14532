"""The email connector's small public API for Ponte itself: deliver a plain-text notice (a failure
alert) through the platform's SMTP settings, and the one-line run summary of ``send_email``.

``Connector.notify`` points here, so the platform asks the registry for a connector that can notify
and never imports this package's SMTP internals.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from connectors.sdk import Context, Notice, catalog_beside

from . import smtp

CATALOG = catalog_beside(__file__)
REFUSED = "%(count)d refused"


def notify(ctx: Context, notice: Notice) -> None:
    """One plain-text message; ``ctx.config`` holds SMTP settings named like a connection's."""
    settings = smtp.SmtpSettings.from_config(ctx.config)
    message = EmailMessage()
    message["From"] = f"{notice.sender_name} <{settings.from_address}>"
    message["To"] = ", ".join(notice.to)
    message["Subject"] = " ".join(notice.subject.split())  # a line break must not break the header
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(notice.text)
    smtp.send(settings, message, list(notice.to))


def summary(output: dict[str, Any], locale: str) -> str:
    """"ana@exemplo.com.br, b@exemplo.com.br +1 · 1 recusado": who accepted it, and refusals."""
    accepted = [str(a) for a in output.get("accepted") or []]
    shown = ", ".join(accepted[:2]) + (f" +{len(accepted) - 2}" if len(accepted) > 2 else "")
    refused = len(output.get("refused") or {})
    parts = [shown] if shown else []
    if refused:
        parts.append(CATALOG.gettext(REFUSED, locale) % {"count": refused})
    return " · ".join(parts)
