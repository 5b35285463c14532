"""A local mailbox for the demo: an SMTP server on loopback that keeps what it receives, and a page.

``start_mailbox()`` starts aiosmtpd on 127.0.0.1 (no TLS, no login: loopback only) and a small web
app listing what arrived, so the demo's reminder and receipt emails can be read without a real
mail account:

==========================  ==============================================================
``GET /``                   the received emails, newest first (HTML)
``GET /messages``           the same as JSON: id, from, to, subject, date, text, html
``GET /messages/<id>``      one email's HTML body (sandboxed: no scripts, no remote loads)
``POST /_reset``            forget everything
==========================  ==============================================================

Run it alone with ``python -m sandbox.mailbox --smtp-port 8125 --port 8103``.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import itertools
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask, Response, abort, jsonify, render_template_string

from .server import RunningServer, serve_in_thread

LOOPBACK = "127.0.0.1"
KEEP = 500

PAGE = """<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8"><title>Caixa de entrada (demo)</title>
<style>body{font-family:Arial,sans-serif;margin:2rem}td,th{padding:.3rem .6rem;text-align:left;
vertical-align:top}tr:nth-child(even){background:#f3f3f3}</style></head><body>
<h1>Caixa de entrada da demo</h1>
<p>{{ messages|length }} e-mail(s) recebido(s) pelo servidor SMTP local ({{ smtp }}).</p>
<table><tr><th>#</th><th>Para</th><th>Assunto</th><th>Data</th></tr>
{% for m in messages %}<tr><td>{{ m.id }}</td><td>{{ m.to|join(", ") }}</td>
<td><a href="/messages/{{ m.id }}">{{ m.subject }}</a></td><td>{{ m.date }}</td></tr>{% endfor %}
</table></body></html>"""


class Mailbox:
    """The last :data:`KEEP` emails received, thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: deque[dict[str, Any]] = deque(maxlen=KEEP)
        self._ids = itertools.count(1)

    def add(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> dict[str, Any]:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        item = {
            "id": next(self._ids), "from": mail_from, "to": list(rcpt_tos),
            "subject": str(parsed.get("Subject", "")), "date": str(parsed.get("Date", "")),
            "text": _part(parsed, "plain"), "html": _part(parsed, "html"),
            "attachments": [{"filename": a.get_filename(), "content_type": a.get_content_type(),
                             "bytes": len(a.get_content())} for a in parsed.iter_attachments()],
        }
        with self.lock:
            self.messages.append(item)
        return item

    def all(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(reversed(self.messages))

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()


def _part(message: Any, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_type() != f"text/{subtype}":
        return None
    return str(part.get_content())


class _Handler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        self.mailbox.add(raw, str(envelope.mail_from), list(envelope.rcpt_tos))
        return "250 2.0.0 Message accepted for delivery"


def create_app(mailbox: Mailbox, smtp_address: str = "") -> Flask:
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]

    @app.get("/")
    def index() -> str:
        return render_template_string(PAGE, messages=mailbox.all(), smtp=smtp_address)

    @app.get("/messages")
    def messages() -> Response:
        return jsonify(mailbox.all())

    @app.get("/messages/<int:message_id>")
    def message(message_id: int) -> Response:
        found = next((m for m in mailbox.all() if m["id"] == message_id), None)
        if found is None:
            abort(404)
        if found["html"] is None:
            return Response(found["text"] or "", mimetype="text/plain")
        response = Response(found["html"], mimetype="text/html")
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; style-src 'unsafe-inline'"
        return response

    @app.post("/_reset")
    def reset() -> Response:
        mailbox.reset()
        return jsonify({"reset": True})

    return app


@dataclass
class RunningMailbox:
    """The SMTP server and the web page of one mailbox; ``smtp_port`` is where to send."""

    mailbox: Mailbox
    controller: Controller
    smtp_port: int
    web: RunningServer

    @property
    def url(self) -> str:
        return self.web.url

    def stop(self) -> None:
        self.controller.stop()
        self.web.stop()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def start_mailbox(smtp_port: int = 0, web_port: int = 0) -> RunningMailbox:
    """Start the SMTP server (port 0: a free one) and the web page, each in a thread."""
    mailbox = Mailbox()
    last_error: OSError | None = None
    for _ in range(5):
        port = smtp_port or _free_port()
        controller = Controller(_Handler(mailbox), hostname=LOOPBACK, port=port,
                                server_hostname="mailbox.ponte.local", ready_timeout=10.0)
        try:
            controller.start()
        except OSError as exc:
            last_error = exc
            if smtp_port:
                break
            continue
        web = serve_in_thread(create_app(mailbox, f"{LOOPBACK}:{port}"), web_port)
        return RunningMailbox(mailbox, controller, port, web)
    raise RuntimeError(f"could not start the demo mailbox: {last_error}")


def main(argv: list[str] | None = None) -> None:
    """``python -m sandbox.mailbox``: SMTP on 8125, the page on 8103."""
    parser = argparse.ArgumentParser(description="Local SMTP mailbox with a web page, for the demo")
    parser.add_argument("--smtp-port", type=int, default=8125)
    parser.add_argument("--port", type=int, default=8103)
    args = parser.parse_args(argv)
    running = start_mailbox(args.smtp_port, args.port)
    print(f"SMTP on {LOOPBACK}:{running.smtp_port}; emails at {running.url}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


if __name__ == "__main__":
    main()
