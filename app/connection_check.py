"""A connection is tested against its service before it is saved, and the answer is kept.

``try_config`` calls the connector's ``test_credentials`` with the values about to be saved (a
cheap authenticated call: Asaas ``GET /customers?limit=1``, ZapSign ``GET /templates/``, SMTP
connect + TLS + LOGIN) and returns a :class:`CheckResult`: ok or not, a *reason* word and the
service's own detail (redacted). The reason is what a person reads first, in their language
(:func:`reason_text`); the detail is the service's answer, shown beside it, never alone.

Reasons come from the connector's error (``ConnectorError.reason``, set by the SDK's HTTP base for
401/403/402/timeouts and by the connectors for their quirks, e.g. a sandbox key against production);
a connector that gives none falls back on the error's kind. The engine names no connector here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from app.models import Connection, utcnow
from app.vault import REDACTOR, VaultError

#: What each reason means for the person who typed the key, in their language.
REASON_TEXTS = {
    "ok": _l("The service accepted the credentials."),
    "unauthorized": _l("The service refused the key or password: it is wrong, incomplete or was revoked."),
    "forbidden": _l("The service recognised the key but refused the access: it has no permission for this."),
    "environment": _l("The key belongs to the other environment (sandbox or production): choose the "
                      "environment where the key was created."),
    "plan": _l("The service requires a paid API plan for this environment."),
    "settings": _l("A setting of the connection is invalid; see the service's answer."),
    "tls": _l("The secure connection (TLS) with the server failed: check the security setting and the "
              "certificate."),
    "unreachable": _l("The service could not be reached: check the address, the port and the network."),
    "timeout": _l("The service did not answer in time; it may be down or blocked by a firewall."),
    "rate_limited": _l("The service is limiting requests right now; try again in a minute."),
    "service_error": _l("The service had a temporary failure; try again later."),
    "rejected": _l("The service refused the connection's settings."),
    "vault": _l("The stored secrets cannot be read with this server's encryption keys."),
    "unexpected": _l("The test failed unexpectedly; see the detail."),
}


@dataclass(frozen=True)
class CheckResult:
    """One test: ``reason`` is a key of :data:`REASON_TEXTS`; ``detail`` the service's redacted answer."""

    ok: bool
    reason: str
    detail: str
    checked_at: datetime

    @property
    def text(self) -> str:
        return reason_text(self.reason)


def reason_text(reason: str | None) -> str:
    """The reason in the current language ("" when there is none: a connection never tested)."""
    return str(REASON_TEXTS.get(reason or "", REASON_TEXTS["unexpected"])) if reason else ""


def _reason_of(exc: Exception) -> str:
    from connectors.sdk import ConfigError, ConnectorError, TransientError

    reason = getattr(exc, "reason", None)
    if isinstance(reason, str) and reason in REASON_TEXTS:
        return reason
    if isinstance(exc, TransientError):
        return "service_error"
    if isinstance(exc, ConfigError | ConnectorError):
        return "rejected"
    return "unexpected"


def _no_wait(_seconds: float) -> None:
    """A test on save does not sleep between retries: a person is waiting for the page."""


def try_config(connector: Any, config: Mapping[str, Any], *, name: str = "") -> CheckResult:
    """Ask the service whether ``config`` works; never raises for what the service answers."""
    from connectors.sdk import Context

    props = (getattr(connector, "auth_schema", None) or {}).get("properties", {})
    REDACTOR.add_secrets_of({k: v for k, v in config.items() if (props.get(k) or {}).get("writeOnly")})
    try:
        ctx = Context(config=dict(config), connection_name=name, sleep=_no_wait)
        detail = str(connector.test_credentials(ctx) or "ok")
        ok, reason = True, "ok"
    except VaultError as exc:
        ok, reason, detail = False, "vault", str(exc)
    except Exception as exc:  # noqa: BLE001 - a connector error or a bug: shown to the admin, redacted
        ok, reason = False, _reason_of(exc)
        detail = getattr(exc, "user_message", None) or f"{type(exc).__name__}: {exc}"
    return CheckResult(ok=ok, reason=reason, detail=REDACTOR.text(str(detail)), checked_at=utcnow())


def try_connection(connector: Any, connection: Connection) -> CheckResult:
    """Test a stored connection (the "Test connection" button); a secret that cannot be decrypted fails."""
    try:
        config = connection.config()
    except VaultError as exc:
        return CheckResult(ok=False, reason="vault", detail=REDACTOR.text(str(exc)), checked_at=utcnow())
    return try_config(connector, config, name=connection.name)


def record(connection: Connection, result: CheckResult) -> None:
    """Keep the test's outcome on the connection: every list and picker reads these columns."""
    connection.status = "ok" if result.ok else "error"
    connection.status_message = result.detail
    connection.status_reason = result.reason
    connection.checked_at = result.checked_at


__all__ = ["REASON_TEXTS", "CheckResult", "reason_text", "record", "try_config", "try_connection"]
