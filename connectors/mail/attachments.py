"""The signed contract with the e-mail: download a ZapSign ``signed_file`` at send time, or link it.

ZapSign's ``original_file`` / ``signed_file`` are temporary S3 links that **expire after 60 minutes**
(docs mirror "documentos/detalhar-documento"; /work/shared/reference/apis.md §2.3), so they are never
stored: the ready automation reads the document (``zapsign.get_document``) in the step right before
the e-mail, and this module downloads the PDF when the e-mail is sent. The download is bounded (size,
time), must be a PDF (``Content-Type: application/pdf`` or the ``%PDF-`` signature, since S3 may
answer ``binary/octet-stream``), and an expired link fails the step with a reason that says what to do.
Expiry is read from the presigned URL itself (``X-Amz-Date`` + ``X-Amz-Expires``, AWS SigV4) before
any call, and recognised in S3's refusal (HTTP 403/400 with "Request has expired").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from connectors.sdk import PermanentError, TransientError

MAX_BYTES = 10 * 1024 * 1024  # most SMTP servers refuse messages above 10–25 MB (base64 adds a third)
TIMEOUT = (5.0, 30.0)  # connect, read
DEFAULT_NAME = "contrato-assinado.pdf"
EXPIRED_HINT = ("ZapSign file links last 60 minutes: replay the run from the trigger so that the document "
                "is read again for a fresh link")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes


def safe_filename(name: Any) -> str:
    """A file name a mail client shows as is: no path, no control or reserved characters, ends in .pdf."""
    text = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]+", "-", str(name or "")).strip(" .-") or DEFAULT_NAME
    text = text[:120]
    return text if text.lower().endswith(".pdf") else f"{text}.pdf"


def expires_at(url: str) -> dt.datetime | None:
    """When an AWS SigV4 presigned URL stops working, or None when the URL does not say."""
    query = parse_qs(urlsplit(url).query)
    signed, lifetime = query.get("X-Amz-Date", [None])[0], query.get("X-Amz-Expires", [None])[0]
    if not signed or not lifetime or not lifetime.isdigit():
        return None
    try:
        start = dt.datetime.strptime(signed, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return start + dt.timedelta(seconds=int(lifetime))


def _expired(detail: str) -> PermanentError:
    return PermanentError(f"the signed PDF link has expired ({detail}); {EXPIRED_HINT}")


def download_pdf(url: str, filename: Any = None, *, max_bytes: int | None = None,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
                 session: requests.Session | None = None) -> Attachment:
    """The PDF at ``url`` (a ZapSign ``signed_file``), or a step error that names what went wrong.

    Never logs or repeats the URL's query string: a presigned URL is a bearer credential for the file.
    """
    max_bytes = max_bytes or MAX_BYTES
    parts = urlsplit(str(url or ""))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PermanentError("attach_signed_pdf.url must be an http(s) link to the signed PDF "
                             "(map it from $.steps.<document step>.signed_file)")
    shown = f"{parts.scheme}://{parts.netloc}{parts.path}"
    deadline = expires_at(url)
    if deadline is not None and deadline <= now():
        raise _expired(f"it was valid until {deadline:%Y-%m-%d %H:%M} UTC")
    try:
        with (session or requests).get(url, timeout=TIMEOUT, stream=True) as response:
            body = response.raw.read(512, decode_content=True) if response.status_code >= 400 else b""
            if response.status_code in (400, 403) and b"expired" in body.lower():
                raise _expired(f"{shown} answered HTTP {response.status_code}")
            if response.status_code >= 500 or response.status_code == 429:
                raise TransientError(f"could not download the signed PDF: {shown} answered HTTP "
                                     f"{response.status_code}")
            if response.status_code >= 400:
                raise PermanentError(f"could not download the signed PDF: {shown} answered HTTP "
                                     f"{response.status_code}; {EXPIRED_HINT}")
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise PermanentError(f"the signed PDF is too large to attach ({int(length)} bytes, the limit is "
                                     f"{max_bytes}); send a link instead (attach_signed_pdf.as: link)")
            content = bytearray()
            for chunk in response.iter_content(64 * 1024):
                content += chunk
                if len(content) > max_bytes:
                    raise PermanentError(f"the signed PDF is too large to attach (more than {max_bytes} bytes); "
                                         "send a link instead (attach_signed_pdf.as: link)")
            kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    except requests.RequestException as exc:
        raise TransientError(f"could not download the signed PDF from {shown}: {exc.__class__.__name__}") from None
    if kind != "application/pdf" and not bytes(content[:5]) == b"%PDF-":
        raise PermanentError(f"{shown} did not answer a PDF (Content-Type {kind or 'missing'})")
    return Attachment(safe_filename(filename), bytes(content))


def link_lines(url: str, label: str) -> tuple[str, str]:
    """The text and HTML lines that carry the link instead of the file."""
    from html import escape

    return f"\n\n{label}: {url}\n", f'<p><a href="{escape(url, quote=True)}">{escape(label)}</a></p>'
