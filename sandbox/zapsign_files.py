"""The ZapSign double's document files: temporary links that expire, like ZapSign's S3 links.

ZapSign's ``original_file`` and ``signed_file`` are presigned S3 URLs valid for 60 minutes (apis.md
§2.3); reading the document again gives fresh ones. Here ``GET /api/v1/docs/<token>/`` answers links
to the double itself, ``/_files/<token>/<original|signed>.pdf?X-Amz-Date=…&X-Amz-Expires=3600&…``,
which serve a small PDF until they expire and then answer S3's 403 "Request has expired". The
webhook bodies keep the stored (not downloadable) S3 URL: a recipe that needs the file reads the
document first, as it must with the real service. ``POST /_sandbox/files/lifetime`` ``{seconds}``
shortens the lifetime (to test expiry without waiting).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, Response, request

from .zapsign_state import ZapSignState

LIFETIME = 3600


def pdf_bytes(token: str, kind: str) -> bytes:
    """A minimal valid-looking PDF naming the document (enough for mail clients and tests)."""
    text = f"ZapSign sandbox {kind} {token}"
    return (f"%PDF-1.4\n1 0 obj <<>> endobj\n% {text}\ntrailer <<>>\n%%EOF\n").encode()


def fresh_links(doc: dict[str, Any], host: str, lifetime: int = LIFETIME) -> dict[str, Any]:
    """``doc`` with its file links pointing at the double, signed now for ``lifetime`` seconds."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    query = f"X-Amz-Date={stamp}&X-Amz-Expires={lifetime}&X-Amz-Signature=sandbox"
    for field, kind in (("original_file", "original"), ("signed_file", "signed")):
        if doc.get(field):
            doc[field] = f"{host}/_files/{doc['token']}/{kind}.pdf?{query}"
    return doc


def register_files(app: Flask, state: ZapSignState) -> dict[str, int]:
    """The file routes; returns this double's settings (``{"lifetime": seconds}``), changed by the control."""
    settings = {"lifetime": LIFETIME}

    @app.get("/_files/<token>/<kind>.pdf")
    def document_file(token: str, kind: str) -> Any:
        with state.lock:
            doc = state.docs.get(token)
        if doc is None or kind not in ("original", "signed") or (kind == "signed" and not doc.get("signed_file")):
            return Response("<Error><Code>NoSuchKey</Code></Error>", 404, mimetype="application/xml")
        try:
            signed = dt.datetime.strptime(request.args.get("X-Amz-Date", ""), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
            lifetime = int(request.args.get("X-Amz-Expires", ""))
        except ValueError:
            return Response("<Error><Code>AccessDenied</Code></Error>", 403, mimetype="application/xml")
        if dt.datetime.now(dt.UTC) >= signed + dt.timedelta(seconds=lifetime):
            return Response("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
                            403, mimetype="application/xml")
        return Response(pdf_bytes(token, kind), mimetype="application/pdf")

    @app.post("/_sandbox/files/lifetime")
    def set_lifetime() -> Any:
        settings["lifetime"] = int((request.get_json(silent=True) or {}).get("seconds", LIFETIME))
        return {"seconds": settings["lifetime"]}

    return settings
