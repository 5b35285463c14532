"""Recipes as code: what applying a folder of recipe files would change in the database, and applying it.

``compute_plan`` compares every recipe file with the stored recipe of the same key: create, update
(with a short unified diff of the stored definition), unchanged, invalid, ``disable`` for a
recipe that came from a file (``source == "file"``) whose file is gone (disabled, not deleted: runs
reference it), and ``waiting`` for a file whose only problem is a connection that does not exist
yet. A recipe switched on or off by a person (UI, API) keeps that switch over the file's ``enabled``
and the change says so (``switch``); one that would be activated while active recipes already do
its work lists them (``duplicates``), and ``apply_plan`` refuses it unless told to allow it.
``apply_plan`` is all-or-nothing, like a compiler: one invalid file and nothing is written; a waiting
recipe is left out and said so (it is applied when its connection is created, see
``app/engine/waiting.py``), so "create the connections after the recipes" is not a dead end.
Each changed definition becomes a new version through ``save_recipe``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.duplicates import Duplicate, find_duplicates
from app.engine.loader import LoadError, LoadResult, load_recipes
from app.engine.recipes import connection_names, kept_switch, save_recipe, stored_definition
from app.engine.spec import MappingSpec, RecipeSpec
from app.models import Recipe, utcnow

ACTIONS = ("create", "update", "unchanged", "invalid", "disable", "waiting")
DIFF_LINES = 40


@dataclass(frozen=True)
class Change:
    """What applying would do to one recipe key. ``adopt``: an unchanged recipe becomes file-managed."""

    key: str
    action: str
    file: str | None = None
    version: int | None = None
    diff: str = ""
    adopt: bool = False
    errors: tuple[str, ...] = ()
    waiting_for: tuple[str, ...] = ()  # connection names a "waiting" recipe needs
    switch: Switch | None = None  # a person's on/off switch that applying keeps over the file's
    duplicates: tuple[Duplicate, ...] = ()  # active recipes already doing what this one would

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "action": self.action, "file": self.file, "version": self.version,
                "diff": self.diff, "adopt": self.adopt, "errors": list(self.errors),
                "waiting_for": list(self.waiting_for), "switch": self.switch.to_dict() if self.switch else None,
                "duplicates": [d.to_dict() for d in self.duplicates]}


@dataclass(frozen=True)
class Switch:
    """A recipe switched on or off in the UI or the API, against what its file says."""

    enabled: bool
    by: str | None
    at: datetime | None
    file_says: bool

    def to_dict(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "by": self.by, "at": self.at.isoformat() if self.at else None,
                "file_says": self.file_says}

    def text(self) -> str:
        state = "on" if self.enabled else "off"
        when = self.at.strftime("%Y-%m-%d %H:%M UTC") if self.at else "?"
        return (f"switched {state} in the UI by {self.by or 'a removed user'} at {when}; the file says "
                f"enabled: {'true' if self.file_says else 'false'}; apply keeps it {state} "
                f"(switch it in the UI to change it)")


@dataclass
class Plan:
    """Every change, every load error, and what ``apply_plan`` needs (valid specs and mappings)."""

    changes: list[Change] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    specs: dict[str, RecipeSpec] = field(default_factory=dict)
    mappings: dict[str, MappingSpec] = field(default_factory=dict)
    loaded: LoadResult | None = None  # what the files loaded to (for the online check)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)


def definition_yaml(definition: Mapping[str, Any]) -> str:
    """The YAML a stored definition is shown and exported as (``export_yaml`` writes the same)."""
    return yaml.safe_dump(dict(definition), sort_keys=False, allow_unicode=True, width=100)


def definition_diff(old: Mapping[str, Any], new: Mapping[str, Any], *, old_name: str, new_name: str,
                    limit: int = DIFF_LINES) -> str:
    """A unified diff (2 lines of context) of two definitions' YAML, cut after ``limit`` lines."""
    lines = list(difflib.unified_diff(definition_yaml(old).splitlines(), definition_yaml(new).splitlines(),
                                      fromfile=old_name, tofile=new_name, n=2, lineterm=""))
    if len(lines) > limit:
        lines = [*lines[:limit], f"... ({len(lines) - limit} more diff lines)"]
    return "\n".join(lines)


def compute_plan(session: Session, recipes_dir: str | Path, mappings_dir: str | Path) -> Plan:
    """Compare the recipe files with the database; read-only."""
    loaded = load_recipes(recipes_dir, mappings_dir, connections=connection_names(session))
    waiting = {w.file: w for w in loaded.waiting}
    plan = Plan(errors=[e for e in loaded.errors if e.file not in waiting], specs=dict(loaded.recipes),
                mappings=dict(loaded.mappings), loaded=loaded)
    stored = {r.key: r for r in session.scalars(select(Recipe))}
    files = {p.stem: f"{p.parent.name}/{p.name}" for p in sorted(Path(recipes_dir).glob("*.yaml"))}
    leaving = {r.key for r in stored.values() if r.source == "file" and r.enabled and r.key not in files}
    by_file: dict[str, list[str]] = {}
    for error in loaded.errors:
        by_file.setdefault(error.file, []).append(str(error))
    for stem, name in files.items():
        spec = next((s for s in loaded.recipes.values() if s.source == name), None)
        if name in waiting:
            plan.changes.append(Change(waiting[name].key, "waiting", name, errors=tuple(by_file.get(name, ())),
                                       waiting_for=waiting[name].connections))
            continue
        if spec is None:
            plan.changes.append(Change(stem, "invalid", name, errors=tuple(by_file.get(name, ()))))
            continue
        plan.changes.append(_compare(session, spec, stored.get(spec.key), loaded.mappings, leaving))
    plan.changes += [Change(key, "disable", stored[key].source_path, stored[key].version) for key in sorted(leaving)]
    return plan


def _compare(session: Session, spec: RecipeSpec, recipe: Recipe | None, mappings: Mapping[str, MappingSpec],
             leaving: set[str]) -> Change:
    definition = stored_definition(spec, mappings)
    keep = kept_switch(recipe, "file")
    switch = None
    if recipe is not None and keep is not None:
        definition = {**definition, "enabled": keep}
        if keep != spec.enabled:
            switch = Switch(keep, recipe.switched_by.email if recipe.switched_by else None, recipe.switched_at,
                            spec.enabled)
    enabled = spec.enabled if keep is None else keep
    active_before = recipe is not None and recipe.enabled
    duplicates = tuple(find_duplicates(session, definition, ignore_keys=leaving)) if enabled else ()
    if recipe is None:
        return Change(spec.key, "create", spec.source, duplicates=duplicates)
    if recipe.definition == definition:
        adopt = recipe.source != "file" or recipe.source_path != spec.source
        return Change(spec.key, "unchanged", spec.source, recipe.version, adopt=adopt, switch=switch,
                      duplicates=() if active_before else duplicates)
    diff = definition_diff(recipe.definition, definition, old_name=f"{spec.key} v{recipe.version} (database)",
                           new_name=spec.source)
    return Change(spec.key, "update", spec.source, recipe.version, diff=diff, switch=switch,
                  duplicates=() if active_before else duplicates)


def duplicate_problems(plan: Plan) -> list[str]:
    """One line per recipe that applying would activate while active recipes already do its work."""
    return [f"{c.key}: would run alongside active {', '.join(repr(d.key) for d in c.duplicates)} "
            f"(same trigger, same {', '.join(sorted({a for d in c.duplicates for a in d.actions}))} on the same "
            "accounts): each event would be handled twice; switch one off, set enabled: false, or apply with "
            "--allow-duplicates" for c in plan.changes if c.duplicates]


def apply_plan(session: Session, plan: Plan, *, allow_duplicates: bool = False) -> list[str]:
    """Apply every change in one transaction; with any problem, nothing is written and the problems return.

    Activating a recipe that duplicates an active one is a problem unless ``allow_duplicates``."""
    if not plan.ok:
        return [str(e) for e in plan.errors]
    if not allow_duplicates and (duplicates := duplicate_problems(plan)):
        return duplicates
    try:
        for change in plan.changes:
            problems = _apply(session, plan, change)
            if problems:
                session.rollback()
                return problems
        session.commit()
    except Exception:
        session.rollback()
        raise
    return []


def _apply(session: Session, plan: Plan, change: Change) -> list[str]:
    recipe = session.scalar(select(Recipe).where(Recipe.key == change.key))
    if change.action in ("create", "update"):
        spec = plan.specs[change.key]
        result = save_recipe(session, spec.document, source="file", source_path=spec.source,
                             mappings=plan.mappings, commit=False)
        return result.errors
    if change.action == "unchanged" and change.adopt and recipe is not None:
        recipe.source, recipe.source_path = "file", change.file
    elif change.action == "disable" and recipe is not None:
        # Like app.engine.recipes.set_enabled, minus its commit: the whole apply is one transaction.
        recipe.enabled = False
        recipe.definition = {**recipe.definition, "enabled": False}
        recipe.updated_at = utcnow()
    return []
