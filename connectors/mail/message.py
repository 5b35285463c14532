"""Building the email: recipient lists, safe extra headers, the text part and the Message-ID.

Everything here is pure (no network), so a bad address or header fails the step before any
connection is opened, with a message that names the offending value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from html.parser import HTMLParser
from typing import Any

from connectors.sdk import PermanentError

# Deliberately simple: one @, no spaces or separators, a dot in the domain. The server decides the rest.
ADDRESS_RE = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\.]+$")
HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,75}$")

# Extra headers a recipe may set: any X- header except ours, plus these list and threading headers.
ALLOWED_HEADERS = frozenset({
    "auto-submitted", "importance", "in-reply-to", "keywords", "list-id", "list-unsubscribe",
    "list-unsubscribe-post", "precedence", "priority", "references", "sensitivity",
})
IDEMPOTENCY_HEADER = "X-Ponte-Idempotency-Key"
# Bodies in 7-bit (quoted-printable or base64 when needed): no reliance on the server's 8BITMIME.
POLICY = policy.default.clone(cte_type="7bit")


@dataclass(frozen=True)
class Recipient:
    """One parsed address: what goes into the header (with name) and into the envelope (bare)."""

    name: str
    address: str

    def header(self) -> Address:
        try:
            return Address(display_name=self.name, addr_spec=self.address)
        except (ValueError, IndexError, HeaderParseError) as exc:
            raise PermanentError(f"invalid email address {self.address!r}: {exc}") from None


def split_addresses(value: str) -> list[str]:
    """Split on commas and semicolons that are not inside a quoted display name."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in value:
        if char == '"':
            quoted = not quoted
        if char in ",;" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def parse_recipients(value: Any, field_name: str) -> list[Recipient]:
    """``"a@x.com, Ana <b@y.com>; c@z.com"`` or a list of such strings, each address checked."""
    if value is None or value == "":
        return []
    items: Iterable[Any] = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise PermanentError(f"{field_name} must be a string or a list of strings")
    recipients = []
    for item in items:
        if not isinstance(item, str):
            raise PermanentError(f"{field_name} must hold strings, not {type(item).__name__}")
        for chunk in split_addresses(item):
            name, address = parseaddr(chunk)
            if "\r" in chunk or "\n" in chunk or not ADDRESS_RE.match(address):
                raise PermanentError(f"invalid email address in {field_name}: {chunk!r}")
            recipient = Recipient(name=name, address=address)
            recipient.header()  # the stricter RFC 5322 check, so every address fails before sending
            recipients.append(recipient)
    return recipients


def unique_addresses(*groups: list[Recipient]) -> list[str]:
    """The envelope recipients: every address once, in order (case-insensitive)."""
    seen: set[str] = set()
    result = []
    for group in groups:
        for recipient in group:
            if recipient.address.lower() not in seen:
                seen.add(recipient.address.lower())
                result.append(recipient.address)
    return result


def check_headers(headers: Mapping[str, Any] | None) -> dict[str, str]:
    """Only ``X-`` headers (not ``X-Ponte-``) and a few list/threading headers; one-line values."""
    checked: dict[str, str] = {}
    for name, value in (headers or {}).items():
        lowered = str(name).lower()
        custom = lowered.startswith("x-") and not lowered.startswith("x-ponte-")
        allowed = custom or lowered in ALLOWED_HEADERS
        if not HEADER_NAME_RE.match(str(name)) or not allowed:
            raise PermanentError(
                f"header {name!r} cannot be set by a recipe; allowed: X-* headers and "
                + ", ".join(sorted(ALLOWED_HEADERS))
            )
        if not isinstance(value, str):
            raise PermanentError(f"header {name!r} must be a string")
        if "\r" in value or "\n" in value:
            raise PermanentError(f"header {name!r} must be a single line")
        checked[str(name)] = value
    return checked


def message_id(domain: str, idempotency_key: str | None) -> str:
    """Deterministic from the idempotency key when there is one, so a duplicate is recognisable."""
    if idempotency_key:
        digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:24]
        return f"<ponte.{digest}@{domain}>"
    return make_msgid(idstring="ponte", domain=domain)


class _TextExtractor(HTMLParser):
    """Readable plain text from HTML: block elements become line breaks, links keep their URL."""

    BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table",
                        "ul", "ol", "blockquote", "hr", "section", "header", "footer"})
    HIDDEN = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag == "a":
            self.href.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "a" and self.href:
            href = self.href.pop()
            if href and href.startswith(("http://", "https://", "mailto:")):
                self.parts.append(f" ({href.removeprefix('mailto:')})")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The text/plain alternative for an HTML-only email (tags stripped, whitespace tidied)."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text + "\n" if text else ""


def build_message(
    *,
    sender: Recipient,
    to: list[Recipient],
    cc: list[Recipient],
    reply_to: list[Recipient],
    subject: str,
    text: str | None,
    html: str | None,
    headers: Mapping[str, str],
    message_id: str,
    idempotency_key: str | None,
    now: dt.datetime,
) -> EmailMessage:
    """A text/plain message, or multipart/alternative (text, then HTML) when there is HTML.

    Bcc recipients never appear here: they exist only in the SMTP envelope.
    """
    if "\r" in subject or "\n" in subject:
        raise PermanentError("subject must be a single line")
    msg = EmailMessage(policy=POLICY)
    msg["From"] = sender.header()
    msg["To"] = [r.header() for r in to]
    if cc:
        msg["Cc"] = [r.header() for r in cc]
    if reply_to:
        msg["Reply-To"] = [r.header() for r in reply_to]
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id
    if idempotency_key:
        msg[IDEMPOTENCY_HEADER] = idempotency_key
    for name, value in headers.items():
        msg[name] = value
    msg.set_content(text if text is not None else html_to_text(html or ""))
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg
