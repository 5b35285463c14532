"""Ponte: the platform (web, storage, engine). Importing the package builds nothing and loads no Flask.

The app factory is :func:`app.factory.create_app` (``wsgi.py`` calls it). ``from app import
create_app`` still works: the name is looked up in :mod:`app.factory` only when asked for, so a
plain worker can import ``app.engine`` without Flask.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ConfigError", "create_app", "start_background_services"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from app import factory

        return getattr(factory, name)
    raise AttributeError(f"module 'app' has no attribute {name!r}")
