"""Recipes in the database: save (with versions), enable, export, and sync from YAML files.

Every save that changes a recipe's definition writes a new ``recipe_versions`` row and bumps
``recipes.version``; runs record the version they ran, and a version's definition never changes.
Mappings referenced from files are inlined into the stored definition, so each version is complete
on its own (editing ``mappings/x.yaml`` and applying again makes a new version).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.loader import (
    DEFAULT_MAPPINGS_DIR,
    WaitingRecipe,
    load_mappings,
    load_recipe_document,
    load_recipes,
)
from app.engine.spec import MappingSpec, RecipeSpec
from app.models import Connection, Recipe, RecipeVersion, utcnow


@dataclass
class SaveResult:
    """What a save did. With ``errors`` nothing was written."""

    recipe: Recipe | None = None
    created: bool = False
    changed: bool = False
    errors: list[str] = field(default_factory=list)


def connection_names(session: Session) -> set[str]:
    return set(session.scalars(select(Connection.name)))


def stored_definition(spec: RecipeSpec, mappings: Mapping[str, MappingSpec]) -> dict[str, Any]:
    """The document to store: the validated recipe with file mappings inlined as ``input``."""
    document = copy.deepcopy(spec.document)
    for step in document.get("steps", []):
        key = step.pop("mapping", None)
        if key is not None:
            step["input"] = copy.deepcopy(mappings[key].document.get("fields", {}))
    return document


def save_recipe(
    session: Session,
    document: Mapping[str, Any],
    *,
    source: str = "wizard",
    source_path: str | None = None,
    owner_id: int | None = None,
    mappings: Mapping[str, MappingSpec] | None = None,
    commit: bool = True,
) -> SaveResult:
    """Validate ``document`` and store it as a new version when it differs from the current one."""
    if mappings is None:
        mappings = _file_mappings(document)
    spec, errors = load_recipe_document(
        document, source=source_path or f"<{source}>", mappings=mappings, connections=connection_names(session)
    )
    if errors or spec is None:
        return SaveResult(errors=[str(e) for e in errors])
    definition = stored_definition(spec, mappings)
    recipe = session.scalar(select(Recipe).where(Recipe.key == spec.key))
    keep = kept_switch(recipe, source)
    if keep is not None:
        definition = {**definition, "enabled": keep}
    if recipe is not None and recipe.source == "file" and source == "wizard":
        return SaveResult(recipe, errors=[
            f"recipe {spec.key!r} is managed by the file {recipe.source_path}; change the file and apply it"
        ])
    trigger_connection = (None if spec.trigger.connection is None  # a schedule: no connection
                          else session.scalar(select(Connection).where(Connection.name == spec.trigger.connection)))
    created = recipe is None
    if recipe is not None and recipe.definition == definition:
        return SaveResult(recipe, created=False, changed=False)
    if recipe is None:
        recipe = Recipe(key=spec.key, version=0, owner_id=owner_id, created_at=utcnow())
        session.add(recipe)
    recipe.name = spec.name
    recipe.description = spec.description or ""
    recipe.enabled = spec.enabled if keep is None else keep
    recipe.source = source if created or source == "file" else recipe.source
    recipe.source_path = source_path if source == "file" else recipe.source_path
    recipe.trigger_connection_id = trigger_connection.id if trigger_connection else None
    recipe.trigger_key = spec.trigger.event
    recipe.definition = definition
    recipe.version += 1
    recipe.updated_at = utcnow()
    session.flush()
    session.add(RecipeVersion(recipe_id=recipe.id, version=recipe.version, definition=definition,
                              created_by=owner_id, created_at=utcnow()))
    if commit:
        session.commit()
    return SaveResult(recipe, created=created, changed=True)


def kept_switch(recipe: Recipe | None, source: str) -> bool | None:
    """The on/off state a person's recorded switch keeps over a file being applied (None: the file
    decides). Why: an ops user who switched a file-managed automation off must not see the next
    ``recipes apply`` silently switch it back on; the plan shows the difference instead."""
    if recipe is None or source != "file" or recipe.switched_at is None:
        return None
    return bool(recipe.enabled)


def set_enabled(session: Session, recipe: Recipe, enabled: bool, *, by: int | None = None) -> None:
    """Switch a recipe on or off; not a new version (it does not change what a run does).

    A person's switch (``by``: the user, from the UI or the API) is recorded with its time, on
    file-managed recipes too: ``recipes apply`` keeps it and ``recipes plan`` shows it when the
    file says otherwise (see ``app.engine.plan``).
    """
    recipe.enabled = enabled
    recipe.definition = {**recipe.definition, "enabled": enabled}
    recipe.updated_at = utcnow()
    if by is not None:
        recipe.switched_by_id, recipe.switched_at = by, utcnow()
    session.commit()


def export_yaml(recipe: Recipe) -> str:
    """The recipe as YAML that ``recipes apply`` (or ``save_recipe``) takes back unchanged."""
    return yaml.safe_dump(recipe.definition, sort_keys=False, allow_unicode=True, width=100)


def _file_mappings(document: Mapping[str, Any]) -> dict[str, MappingSpec]:
    steps = document.get("steps") if isinstance(document, Mapping) else None
    if not isinstance(steps, list) or not any(isinstance(s, dict) and "mapping" in s for s in steps):
        return {}
    mappings, _, _ = load_mappings(DEFAULT_MAPPINGS_DIR)
    return mappings


@dataclass
class SyncReport:
    """What applying a folder of recipe files did, per recipe key."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    waiting: list[WaitingRecipe] = field(default_factory=list)  # only a missing connection; not in errors


def sync_files(session: Session, recipes_dir: str | Path, mappings_dir: str | Path,
               *, dry_run: bool = False) -> SyncReport:
    """Apply every valid recipe file (all-or-nothing per recipe); invalid ones are reported, not applied."""
    loaded = load_recipes(recipes_dir, mappings_dir, connections=connection_names(session))
    waiting = {w.file for w in loaded.waiting}
    report = SyncReport(errors=[str(e) for e in loaded.errors if e.file not in waiting], waiting=loaded.waiting)
    for key, spec in sorted(loaded.recipes.items()):
        existing = session.scalar(select(Recipe).where(Recipe.key == key))
        definition = stored_definition(spec, loaded.mappings)
        if existing is not None and existing.definition == definition:
            report.unchanged.append(key)
            continue
        (report.created if existing is None else report.updated).append(key)
        if not dry_run:
            result = save_recipe(session, spec.document, source="file", source_path=spec.source,
                                 mappings=loaded.mappings)
            report.errors += result.errors
    return report
