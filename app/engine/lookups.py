"""Run a connector's lookup (templates, a template's variables…) with a connection's credentials."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from app.models import Connection
from connectors import registry
from connectors.sdk import ConfigError, Context


def run_lookup(connection: Connection, lookup_key: str, params: Mapping[str, Any] | None = None, *,
               locale: str = "pt_BR") -> list[dict[str, Any]]:
    """The lookup's options (labels in ``locale`` where they are the connector's own words);
    connector errors (``connectors.sdk``) propagate with a user message."""
    connector = registry.get_connector(connection.connector_key)
    lookup = connector.lookup(lookup_key)
    if lookup is None:
        valid = ", ".join(lk.key for lk in connector.lookups) or "none"
        raise ConfigError(f"{connector.title} has no lookup {lookup_key!r}; valid lookups: {valid}")
    ctx = Context(
        config=connection.config(),
        logger=logging.getLogger(f"ponte.connector.{connector.key}"),
        connection_name=connection.name,
        locale=locale,
    )
    return lookup.run(ctx, dict(params or {}))
