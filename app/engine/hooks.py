"""Hooks the engine fires for things people must hear about (a run failed for good, bad credentials).

The engine knows nothing about email; the notifications module registers a listener here. A
listener that raises is logged and ignored: a broken alert must never break a run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("ponte.engine.hooks")

Listener = Callable[..., None]
_listeners: dict[str, list[Listener]] = {"run_failed": [], "connection_rejected": []}


def subscribe(name: str, listener: Listener) -> None:
    if listener not in _listeners[name]:
        _listeners[name].append(listener)


def unsubscribe(name: str, listener: Listener) -> None:
    if listener in _listeners[name]:
        _listeners[name].remove(listener)


def fire(hook: str, /, **payload: Any) -> None:
    for listener in list(_listeners[hook]):
        try:
            listener(**payload)
        except Exception:  # noqa: BLE001 - an alert must never break a run
            log.exception("hook %s listener %r failed", hook, listener)
