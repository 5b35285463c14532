"""A tiny stand-in for ``connectors.registry`` so app tests do not depend on real connectors."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

GOOD_API_KEY = "good-api-key-123"


class UnknownConnector(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


@dataclass
class FakeWebhook:
    secret_field: str = "webhook_token"

    def generate_secret(self) -> str:
        return secrets.token_urlsafe(24)


def _test_credentials(ctx: Any) -> str:
    if ctx.config.get("api_key") != GOOD_API_KEY:
        raise ValueError(f"rejected api key {ctx.config.get('api_key')}")
    return f"authenticated to {ctx.config['environment']}"


@dataclass
class FakeConnector:
    key: str = "fakepay"
    title: str = "FakePay"
    auth_schema: dict[str, Any] = field(default_factory=lambda: {
        "type": "object",
        "properties": {
            "api_key": {"type": "string", "writeOnly": True, "minLength": 8},
            "environment": {"type": "string", "enum": ["sandbox", "production"]},
            "timeout": {"type": "integer", "minimum": 1},
            "webhook_token": {"type": "string", "writeOnly": True, "minLength": 16},
        },
        "required": ["api_key", "environment", "webhook_token"],
    })
    webhook: FakeWebhook | None = field(default_factory=FakeWebhook)

    def test_credentials(self, ctx: Any) -> str:
        return _test_credentials(ctx)


@dataclass
class FakeMailer:
    key: str = "fakemail"
    title: str = "FakeMail"
    auth_schema: dict[str, Any] = field(default_factory=lambda: {
        "type": "object",
        "properties": {"host": {"type": "string"}, "password": {"type": "string", "writeOnly": True}},
        "required": ["host"],
    })
    webhook: None = None

    def test_credentials(self, ctx: Any) -> str:
        return "ok"


def make_registry() -> SimpleNamespace:
    connectors = (FakeConnector(), FakeMailer())
    by_key = {c.key: c for c in connectors}

    def get_connector(key: str) -> Any:
        if key not in by_key:
            valid = ", ".join(sorted(by_key))
            raise UnknownConnector(f"unknown connector {key!r}; valid connectors: {valid}")
        return by_key[key]

    return SimpleNamespace(
        CONNECTORS=connectors, get_connector=get_connector, UnknownConnector=UnknownConnector
    )
