"""Fixtures for the email connector: a real SMTP server on loopback and a Context pointing at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors.sdk import Context
from tests.smtp_server import LOOPBACK, SmtpServer

FROM_ADDRESS = "cobranca@financeiro.exemplo.com.br"
MakeContext = Callable[..., Context]


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with SmtpServer() as running:
        yield running


@pytest.fixture
def make_ctx() -> MakeContext:
    """``make_ctx(server_or_port, idempotency_key=..., **settings)``: a Context for that connection.

    A bare port means loopback with nothing SMTP behind it (closed or silent ports).
    """

    def make(target: SmtpServer | int, *, idempotency_key: str | None = None, **settings: Any) -> Context:
        host, port = (LOOPBACK, target) if isinstance(target, int) else (target.host, target.port)
        config = {
            "host": host,
            "port": port,
            "security": "none",
            "from_address": FROM_ADDRESS,
            "from_name": "Financeiro Exemplo",
            "timeout_seconds": 5,
            **settings,
        }
        return Context(config=config, idempotency_key=idempotency_key, connection_name="email-test")

    return make
