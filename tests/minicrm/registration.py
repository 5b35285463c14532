"""Register MiniCRM for one test (or module): the one registry line a real connector would add."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from connectors import registry
from connectors.sdk import Connector


@contextmanager
def registered(connector: Connector) -> Iterator[Connector]:
    """``registry.CONNECTORS`` with ``connector`` appended, as if it were listed there; then restored."""
    saved = registry.CONNECTORS, dict(registry._BY_KEY)
    registry.CONNECTORS = (*registry.CONNECTORS, connector)
    registry._BY_KEY[connector.key] = connector
    try:
        yield connector
    finally:
        registry.CONNECTORS = saved[0]
        registry._BY_KEY.clear()
        registry._BY_KEY.update(saved[1])
