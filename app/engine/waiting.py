"""Recipe files waiting for a connection, and applying them the moment it exists.

A new admin often copies the recipe files first and creates the connections second. Such a recipe
is not broken: its only problem is a connection name that does not exist yet. Start-up, ``recipes
plan``/``apply`` and the dashboard list it as *waiting* (with the names it needs) instead of burying
it in a log line, and when a connection is created (CLI, API or web page) every waiting file that
names it and now loads cleanly is applied at once, so no second ``recipes apply`` is needed.

Only files whose key is not in the database yet are applied that way: a stored recipe is never
changed behind the admin's back (``recipes apply`` does that, showing the diff first). Auto-apply
follows ``APPLY_RECIPE_FILES_ON_START``: a deployment that applies files at start applies them here
too; one that does not leaves it to ``recipes apply``, which then says what is waiting.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.loader import WaitingRecipe, load_recipes
from app.engine.recipes import connection_names, save_recipe
from app.models import Recipe

log = logging.getLogger("ponte.recipes")


def waiting_recipes(session: Session, recipes_dir: str | Path, mappings_dir: str | Path) -> list[WaitingRecipe]:
    """Recipe files whose only problem is connections that do not exist yet (by file name)."""
    loaded = load_recipes(recipes_dir, mappings_dir, connections=connection_names(session))
    return sorted(loaded.waiting, key=lambda w: w.file)


_CACHE: dict[Any, list[WaitingRecipe]] = {}


def _fingerprint(session: Session, recipes_dir: Path, mappings_dir: Path) -> Any:
    """What the answer depends on: each YAML file's name, size and mtime, and the connection names."""
    files = []
    for folder in (recipes_dir, mappings_dir):
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
            stat = path.stat()
            files.append((str(path), stat.st_size, stat.st_mtime_ns))
    return str(recipes_dir), tuple(files), frozenset(connection_names(session))


def waiting_for_config(session: Session, config: Mapping[str, Any]) -> list[WaitingRecipe]:
    """``waiting_recipes`` of the app's RECIPES_DIR (empty when files are not applied at start).

    The home page asks on every view; the files are loaded again only when one of them or the set
    of connection names changed since the last answer.
    """
    if not config.get("APPLY_RECIPE_FILES_ON_START"):
        return []
    recipes_dir, mappings_dir = Path(config["RECIPES_DIR"]), Path(config["MAPPINGS_DIR"])
    key = _fingerprint(session, recipes_dir, mappings_dir)
    if key not in _CACHE:
        _CACHE.clear()  # one folder per process in practice: keep only the latest answer
        _CACHE[key] = waiting_recipes(session, recipes_dir, mappings_dir)
    return list(_CACHE[key])


def apply_waiting(session: Session, config: Mapping[str, Any], connection_name: str) -> list[str]:
    """Apply, and commit, each new recipe file that names ``connection_name`` and loads cleanly now.

    Call it after the connection's own commit. Returns the recipe keys applied (empty when
    APPLY_RECIPE_FILES_ON_START is off). A file that still waits for another connection stays
    waiting; a file with other problems is left to ``recipes validate``.
    """
    if not config.get("APPLY_RECIPE_FILES_ON_START"):
        return []
    loaded = load_recipes(config["RECIPES_DIR"], config["MAPPINGS_DIR"], connections=connection_names(session))
    stored = set(session.scalars(select(Recipe.key)))
    applied: list[str] = []
    for key, spec in sorted(loaded.recipes.items()):
        names = {spec.trigger.connection, *(step.connection for step in spec.steps)}
        if key in stored or connection_name not in names:
            continue
        result = save_recipe(session, spec.document, source="file", source_path=spec.source,
                             mappings=loaded.mappings)
        if result.errors:
            session.rollback()
            log.warning("recipe %s not applied after connection %r was created: %s", key, connection_name,
                        "; ".join(result.errors))
            continue
        applied.append(key)
    if applied:
        log.info("connection %r created: applied the recipe files waiting for it: %s",
                 connection_name, ", ".join(applied))
    return applied


def describe(waiting: WaitingRecipe) -> str:
    """One line for logs and the CLI: which recipe waits for which connections."""
    names = ", ".join(repr(n) for n in waiting.connections)
    return f"recipe {waiting.key} ({waiting.file}) waits for connection {names}"
