"""Connections as the CLI and the API manage them: validate fields, split secrets, serialize.

A connector's ``auth_schema`` (JSON Schema) says which fields exist; properties marked
``writeOnly`` are secrets, encrypted together in ``credentials_encrypted`` and never shown again.
Everything else goes to ``settings``. All validation errors are reported at once, with the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy.orm import Session

from app.connection_check import CheckResult, record, try_config, try_connection
from app.inputs import parse_int
from app.models import Connection
from app.vault import MASK, VaultError


class ConnectionInputError(Exception):
    """Input the user must fix; ``errors`` lists every problem (``field: message``)."""

    def __init__(self, message: str, errors: list[str] | None = None, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.conflict = conflict  # the name is taken (HTTP 409), not a bad value

    def __str__(self) -> str:
        return "\n".join([self.message, *(f"  - {e}" for e in self.errors)])


class ConnectionTestFailed(ConnectionInputError):
    """The service refused the values about to be saved; ``result`` says why (nothing was saved).

    Saving anyway is the caller's explicit choice (``save_anyway=True``): the connection is then
    stored marked as in error, so every picker flags it.
    """

    def __init__(self, result: CheckResult) -> None:
        super().__init__(f"the service refused the connection: {result.detail}",
                         [f"(connection): {result.detail}"])
        self.result = result


def _registry() -> Any:
    """``connectors.registry``, imported on first use (tests replace this function)."""
    from connectors import registry

    return registry


def get_connector(key: str) -> Any:
    """The registry's connector for ``key``; ConnectionInputError listing valid keys when unknown."""
    try:
        return _registry().get_connector(key)
    except KeyError as exc:  # UnknownConnector is a KeyError whose message lists the valid keys
        raise ConnectionInputError(str(exc.args[0]) if exc.args else f"unknown connector {key!r}") from None


def secret_fields(connector: Any) -> list[str]:
    props = connector.auth_schema.get("properties", {})
    return [name for name, prop in props.items() if prop.get("writeOnly")]


def coerce_cli_values(connector: Any, raw: Mapping[str, str]) -> dict[str, Any]:
    """``--set`` values are strings; turn them into the types the auth schema asks for."""
    props = connector.auth_schema.get("properties", {})
    values: dict[str, Any] = {}
    for name, text in raw.items():
        kind = props.get(name, {}).get("type")
        kinds = kind if isinstance(kind, list) else [kind]
        lowered = text.strip().lower()
        if "boolean" in kinds and lowered in {"true", "false", "1", "0", "yes", "no"}:
            values[name] = lowered in {"true", "1", "yes"}
        elif "integer" in kinds and parse_int(lowered, maximum=10**18) is not None:
            values[name] = int(lowered)
        elif "number" in kinds:
            try:
                values[name] = float(lowered)
            except ValueError:
                values[name] = text
        else:
            values[name] = text
    return values


def validate_fields(connector: Any, values: Mapping[str, Any]) -> list[str]:
    """Every problem with ``values`` against the connector's auth schema, as ``field: message``."""
    schema = connector.auth_schema
    props = schema.get("properties", {})
    errors = [
        f"{name}: unknown field; valid fields: {', '.join(props) or '(none)'}"
        for name in values
        if name not in props
    ]
    errors += [
        f"{name}: required field missing" for name in schema.get("required", []) if name not in values
    ]
    for error in sorted(Draft202012Validator(schema).iter_errors(dict(values)), key=lambda e: list(e.path)):
        if error.validator == "required" and not error.path:
            continue  # reported above, by field
        where = ".".join(str(p) for p in error.path) or "(connection)"
        message = error.message
        if error.validator in ("type", "enum", "pattern", "format", "minLength", "maxLength", "const"):
            message = f"invalid value ({error.validator}: {error.validator_value!r})"
        errors.append(f"{where}: {message}")
    return errors


def split_fields(connector: Any, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(settings, secrets)``: writeOnly properties are secrets."""
    secret = set(secret_fields(connector))
    settings = {k: v for k, v in values.items() if k not in secret}
    secrets_ = {k: v for k, v in values.items() if k in secret}
    return settings, secrets_


def _with_webhook_secret(connector: Any, values: dict[str, Any]) -> dict[str, Any]:
    webhook = getattr(connector, "webhook", None)
    if webhook is not None and not values.get(webhook.secret_field):
        values = {**values, webhook.secret_field: webhook.generate_secret()}
    return values


MAX_NAME = 100


def checked_name(name: str) -> str:
    """A connection's name, stripped; recipes refer to it, so it is short, printable text."""
    name = name.strip()
    if not name:
        raise ConnectionInputError("a connection needs a name")
    if len(name) > MAX_NAME:
        raise ConnectionInputError(f"a connection's name has at most {MAX_NAME} characters")
    if any(not ch.isprintable() for ch in name):
        raise ConnectionInputError("a connection's name cannot hold control characters")
    return name


def _tested(connector: Any, config: Mapping[str, Any], name: str, *, save_anyway: bool) -> CheckResult:
    """Ask the service before saving; ConnectionTestFailed unless it accepted or the user insisted."""
    result = try_config(connector, config, name=name)
    if not result.ok and not save_anyway:
        raise ConnectionTestFailed(result)
    return result


def create_connection(
    session: Session, *, connector_key: str, name: str, values: Mapping[str, Any],
    test: bool = False, save_anyway: bool = False,
) -> Connection:
    """Validate and add a connection (the caller commits). Raises ConnectionInputError with all errors.

    With ``test``, the service is asked first (:mod:`app.connection_check`); a refusal raises
    ConnectionTestFailed, or with ``save_anyway`` is saved marked as in error.
    """
    connector = get_connector(connector_key)
    if not getattr(connector, "needs_connection", True):
        raise ConnectionInputError(f"{connector.title} is built in and needs no connection: use its triggers in a "
                                   "recipe without trigger.connection")
    name = checked_name(name)
    if session.query(Connection.id).filter_by(name=name).first() is not None:
        raise ConnectionInputError(f"a connection named {name!r} already exists", conflict=True)
    complete = _with_webhook_secret(connector, dict(values))
    errors = validate_fields(connector, complete)
    if errors:
        raise ConnectionInputError(f"invalid fields for connector {connector_key!r}", errors)
    result = _tested(connector, complete, name, save_anyway=save_anyway) if test else None
    settings, secrets_ = split_fields(connector, complete)
    connection = Connection(connector_key=connector.key, name=name, settings=settings, status="untested")
    connection.set_credentials(secrets_)
    if result is not None:
        record(connection, result)
    session.add(connection)
    session.flush()
    return connection


def update_connection(
    session: Session, connection: Connection, *, name: str | None = None,
    values: Mapping[str, Any] | None = None, test: bool = False, save_anyway: bool = False,
) -> Connection:
    """Rename and/or change fields (a field set to None is removed); secrets kept unless given.

    ``test`` and ``save_anyway`` as for :func:`create_connection` (only when ``values`` change).
    """
    connector = get_connector(connection.connector_key)
    if name is not None and name.strip() != connection.name:
        name = checked_name(name)
        if session.query(Connection.id).filter_by(name=name).first() is not None:
            raise ConnectionInputError(f"a connection named {name!r} already exists", conflict=True)
        connection.name = name
    if values:
        merged = {**connection.config(), **values}
        merged = {k: v for k, v in merged.items() if v is not None}
        merged = _with_webhook_secret(connector, merged)
        errors = validate_fields(connector, merged)
        if errors:
            raise ConnectionInputError(f"invalid fields for connector {connection.connector_key!r}", errors)
        result = _tested(connector, merged, connection.name, save_anyway=save_anyway) if test else None
        settings, secrets_ = split_fields(connector, merged)
        connection.settings = settings
        connection.set_credentials(secrets_)
        connection.status, connection.status_message, connection.status_reason = "untested", None, None
        if result is not None:
            record(connection, result)
    session.flush()
    return connection


def webhook_url(base_url: str, connection: Connection) -> str:
    return f"{base_url.rstrip('/')}/webhooks/{connection.uid}"


def serialize(connection: Connection, base_url: str) -> dict[str, Any]:
    """The public view of a connection: settings, names of the secrets set, never their values."""
    try:
        connector = get_connector(connection.connector_key)
    except (ConnectionInputError, ImportError):
        connector = None
    data: dict[str, Any] = {
        "id": connection.id,
        "uid": connection.uid,
        "connector": connection.connector_key,
        "name": connection.name,
        "settings": dict(connection.settings or {}),
        "secret_fields_set": [],
        "status": connection.status,
        "status_message": connection.status_message,
        "status_reason": connection.status_reason,
        "checked_at": connection.checked_at.isoformat() if connection.checked_at else None,
        "webhook_url": None,
        "created_at": connection.created_at.isoformat(),
        "updated_at": connection.updated_at.isoformat(),
    }
    if connector is not None:
        secret = set(secret_fields(connector))
        data["settings"] = {k: (MASK if k in secret else v) for k, v in data["settings"].items()}
        if getattr(connector, "webhook", None) is not None:
            data["webhook_url"] = webhook_url(base_url, connection)
    try:
        data["secret_fields_set"] = sorted(connection.get_credentials())
    except VaultError as exc:
        data["credentials_error"] = str(exc)
    return data


def rotate_webhook_secret(session: Session, connection: Connection) -> tuple[str, str]:
    """Give the connection a new webhook secret (token), encrypted like any secret; the caller commits.

    Returns ``(field, new secret)``. Deliveries carrying the old one are refused from the commit on,
    until the new one is pasted in the service: Ponte does not register webhooks by API yet.
    """
    connector = get_connector(connection.connector_key)
    webhook = getattr(connector, "webhook", None)
    if webhook is None:
        raise ConnectionInputError(f"{connector.title} connections receive no webhooks: there is no secret to rotate")
    secret = webhook.generate_secret()
    update_connection(session, connection, values={webhook.secret_field: secret})
    return webhook.secret_field, secret


def check_connection(connection: Connection) -> CheckResult:
    """Test a stored connection (the "Test connection" button) and record the answer; the caller commits."""
    result = try_connection(get_connector(connection.connector_key), connection)
    record(connection, result)
    return result
