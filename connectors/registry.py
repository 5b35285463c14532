"""The one explicit list of connectors. The engine asks here for ``(connector, trigger | action)``.

A connector's key, and each trigger's and action's key, is permanent: recipes and rows store
``"<connector>.<trigger|action>"``.
"""

from __future__ import annotations

from typing import Any

from connectors.asaas import CONNECTOR as ASAAS
from connectors.mail import CONNECTOR as EMAIL
from connectors.schedule import CONNECTOR as SCHEDULE
from connectors.sdk import Action, Connector, Trigger, describe
from connectors.zapsign import CONNECTOR as ZAPSIGN

CONNECTORS: tuple[Connector, ...] = (ASAAS, ZAPSIGN, EMAIL, SCHEDULE)

_BY_KEY = {c.key: c for c in CONNECTORS}


class UnknownKey(LookupError):
    """A connector, trigger or action key that is not in the registry; the message lists valid ones."""

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownConnector(UnknownKey, KeyError):
    """An unknown connector key (also a KeyError, for callers that catch that)."""


def get_connector(key: str) -> Connector:
    try:
        return _BY_KEY[key]
    except KeyError:
        valid = ", ".join(sorted(_BY_KEY))
        raise UnknownConnector(f"unknown connector {key!r}; valid connectors: {valid}") from None


def _split(qualified: str, what: str) -> tuple[Connector, str]:
    connector_key, _, item_key = qualified.partition(".")
    if not item_key:
        raise UnknownKey(f"{what} {qualified!r} must be written as '<connector>.<{what}>'")
    return get_connector(connector_key), item_key


def get_trigger(qualified: str) -> tuple[Connector, Trigger]:
    connector, key = _split(qualified, "trigger")
    trigger = connector.trigger(key)
    if trigger is None:
        valid = ", ".join(f"{connector.key}.{t.key}" for t in connector.triggers)
        raise UnknownKey(f"unknown trigger {qualified!r}; valid triggers: {valid}")
    return connector, trigger


def get_action(qualified: str) -> tuple[Connector, Action]:
    connector, key = _split(qualified, "action")
    action = connector.action(key)
    if action is None:
        valid = ", ".join(f"{connector.key}.{a.key}" for a in connector.actions)
        raise UnknownKey(f"unknown action {qualified!r}; valid actions: {valid}")
    return connector, action


def notifier() -> Connector | None:
    """The connector that delivers Ponte's own notices (``Connector.notify``), if one is registered."""
    return next((c for c in CONNECTORS if c.notify is not None), None)


def catalogue() -> list[dict[str, Any]]:
    """Every connector with its triggers, actions and lookups, JSON-able."""
    return [describe(c) for c in CONNECTORS]
