"""Encrypt, decrypt and redact credentials.

A connection's secret fields are stored as ONE Fernet token of their JSON. ``PONTE_VAULT_KEYS``
holds comma-separated Fernet keys, newest first: the newest encrypts, every key decrypts, so a key
is rotated by prepending a new one, running ``flask keys rotate`` and later dropping the old one.

Redaction has two tools: :func:`redact` masks values by field name (``password``, ``api_key``...)
in structures, and :class:`Redactor` replaces known secret *values* inside any text; the log filter,
error messages and API responses go through them.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.hostctx import current_flask_app

MASK = "••••"
EXTENSION = "ponte_vault"
DEFAULT_SECRET_KEYS = frozenset(
    {
        "password", "passwd", "secret", "token", "api_key", "apikey", "access_token",
        "refresh_token", "authorization", "webhook_secret", "webhook_token", "client_secret",
        "secret_key", "private_key", "smtp_password",
    }
)
_MIN_SECRET_LENGTH = 4


class VaultError(Exception):
    """Credentials cannot be decrypted or keys are malformed; the message says what to fix."""


def generate_key() -> str:
    """A new Fernet key (url-safe base64, 44 characters)."""
    return Fernet.generate_key().decode()


def parse_keys(raw: str | Iterable[str]) -> list[str]:
    """Split ``PONTE_VAULT_KEYS`` (comma-separated, newest first) and drop blanks."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    return [k.strip() for k in items if k and k.strip()]


class Vault:
    """MultiFernet over the configured keys; the first key encrypts."""

    def __init__(self, keys: str | Iterable[str]) -> None:
        self.keys = parse_keys(keys)
        if not self.keys:
            raise VaultError("PONTE_VAULT_KEYS is empty; set it to one or more Fernet keys, newest first")
        fernets = []
        for position, key in enumerate(self.keys, start=1):
            try:
                fernets.append(Fernet(key.encode()))
            except (ValueError, TypeError):
                raise VaultError(
                    f"PONTE_VAULT_KEYS key #{position} is not a valid Fernet key "
                    "(32 url-safe base64-encoded bytes); generate one with: flask --app wsgi keys generate"
                ) from None
        self._fernet = MultiFernet(fernets)

    def encrypt_json(self, data: Mapping[str, Any]) -> str:
        """One token for the JSON of ``data``, under the newest key."""
        return self._fernet.encrypt(json.dumps(dict(data), sort_keys=True).encode()).decode()

    def decrypt_json(self, token: str, what: str) -> dict[str, Any]:
        """The dict inside ``token``; ``what`` names the owner ("connection 'Asaas prod'") in errors."""
        try:
            plain = self._fernet.decrypt(token.encode())
        except (InvalidToken, ValueError, TypeError, AttributeError):
            raise VaultError(
                f"cannot decrypt credentials of {what}: the key is wrong or missing; set "
                "PONTE_VAULT_KEYS to the key(s) they were encrypted with (comma-separated, newest "
                "first), or enter the credentials again"
            ) from None
        data = json.loads(plain)
        if not isinstance(data, dict):
            raise VaultError(f"credentials of {what} are not a JSON object")
        return data

    def rotate(self, token: str) -> str:
        """``token`` re-encrypted under the newest key (any configured key may have made it)."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise VaultError(
                "cannot rotate a token that no configured key decrypts; set PONTE_VAULT_KEYS to "
                "the new key followed by the old ones"
            ) from None


_installed: Vault | None = None


def install(vault: Vault) -> None:
    """Make ``vault`` this process's: a worker without Flask calls it once with PONTE_VAULT_KEYS."""
    global _installed
    _installed = vault
    REDACTOR.add(*vault.keys)


def init_app(app: Any) -> Vault:
    """The app's Vault, made once by the factory (used inside the app's context)."""
    vault = Vault(app.config["PONTE_VAULT_KEYS"])
    app.extensions[EXTENSION] = vault
    return vault


def get_vault(app: Any | None = None) -> Vault:
    """The Vault of ``app``, else of the current Flask app, else the one this process installed."""
    app = app or current_flask_app()
    if app is not None:
        vault: Vault = app.extensions[EXTENSION]
        return vault
    if _installed is None:
        raise VaultError("no vault is configured in this process; set PONTE_VAULT_KEYS")
    return _installed


def _is_secret_key(name: str, secret_keys: frozenset[str]) -> bool:
    lowered = name.lower()
    return lowered in secret_keys or any(
        lowered.endswith(suffix) for suffix in ("_password", "_secret", "_token", "_api_key")
    )


def redact(obj: Any, secret_keys: Iterable[str] = DEFAULT_SECRET_KEYS) -> Any:
    """A copy of ``obj`` with the values of secret-named keys masked, at any depth."""
    keys = frozenset(k.lower() for k in secret_keys)
    if isinstance(obj, Mapping):
        return {
            k: (MASK if isinstance(k, str) and _is_secret_key(k, keys) and v not in (None, "")
                else redact(v, keys))
            for k, v in obj.items()
        }
    if isinstance(obj, (list, tuple)):
        return [redact(v, keys) for v in obj]
    return obj


_PATTERNS = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"), r"\1 " + MASK),
    (
        re.compile(
            r"(?i)([\"']?(?:password|passwd|secret|token|api[_-]?key|access[_-]?token)"
            r"[\"']?\s*[:=]\s*[\"']?)([^\s\"',&}]{3,})"
        ),
        r"\1" + MASK,
    ),
)


class Redactor:
    """Replaces known secret values, and obvious ``token=...``/``Bearer ...`` patterns, in text.

    Secrets are registered as they are decrypted or configured; the set is process-wide because
    log records can come from any thread. Values shorter than 4 characters are not registered.
    """

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._ordered: list[str] = []
        self._lock = threading.Lock()

    def add(self, *values: Any) -> None:
        with self._lock:
            for value in values:
                if isinstance(value, str) and len(value) >= _MIN_SECRET_LENGTH and value not in self._values:
                    self._values.add(value)
                    self._ordered = sorted(self._values, key=len, reverse=True)

    def add_secrets_of(self, credentials: Mapping[str, Any]) -> None:
        self.add(*(v for v in credentials.values() if isinstance(v, str)))

    def text(self, text: str) -> str:
        for value in self._ordered:
            if value in text:
                text = text.replace(value, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def mask_values(self, obj: Any, min_length: int = 8) -> Any:
        """A copy of ``obj`` with every known secret value masked inside its strings, keys untouched.

        For data Ponte stores (step inputs and outputs): a field named ``token`` (a document's id) is
        data, not a secret, so nothing is masked by name here, only by value; values shorter than
        ``min_length`` are left alone so a short password never mangles the words of an e-mail.
        """
        if isinstance(obj, str):
            for value in self._ordered:
                if len(value) >= min_length and value in obj:
                    obj = obj.replace(value, MASK)
            return obj
        if isinstance(obj, Mapping):
            return {k: self.mask_values(v, min_length) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self.mask_values(v, min_length) for v in obj]
        return obj

    def __call__(self, obj: Any) -> Any:
        """Redact every string in ``obj`` (dicts, lists, strings), by value and by key name."""
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, Mapping):
            return {k: self(v) for k, v in redact(obj).items()}
        if isinstance(obj, (list, tuple)):
            return [self(v) for v in obj]
        return obj


#: The process-wide redactor used by the log filter; register every secret you handle here.
REDACTOR = Redactor()
