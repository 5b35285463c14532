"""The engine functions the pages call, in one place.

The real ones live in ``app.engine.recipes``, ``app.engine.preview`` and ``app.engine.lookups``;
while those modules are being finished this adapter falls back to small local versions with the same
signatures, so the pages work either way. Delete a fallback once the engine provides it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Connection, Recipe, RecipeVersion


@dataclass
class SaveResult:
    recipe: Recipe | None
    created: bool = False
    changed: bool = False
    errors: list[str] = field(default_factory=list)


def _connection_names(session: Session) -> set[str]:
    return set(session.scalars(select(Connection.name)))


def _local_save_recipe(session: Session, document: dict[str, Any], *, source: str = "wizard",
                       source_path: str | None = None, owner_id: int | None = None) -> SaveResult:
    from app.engine.loader import load_recipe_document

    _, errors = load_recipe_document(document, source=f"<{source}>", connections=_connection_names(session))
    if errors:
        return SaveResult(None, errors=[str(e) for e in errors])
    connection = session.scalar(select(Connection).where(Connection.name == document["trigger"]["connection"]))
    recipe = session.scalar(select(Recipe).where(Recipe.key == document["key"]))
    created = recipe is None
    if recipe is None:
        recipe = Recipe(key=document["key"], version=0, source=source, source_path=source_path, owner_id=owner_id)
        session.add(recipe)
    changed = created or recipe.definition != document
    recipe.name = document["name"]
    recipe.description = document.get("description", "")
    recipe.enabled = bool(document.get("enabled", True))
    recipe.trigger_key = document["trigger"]["event"]
    recipe.trigger_connection_id = connection.id if connection else None
    if changed:
        recipe.version = (recipe.version or 0) + 1
        recipe.definition = document
        session.flush()
        session.add(RecipeVersion(recipe_id=recipe.id, version=recipe.version, definition=document,
                                  created_by=owner_id))
    session.flush()
    return SaveResult(recipe, created, changed)


def save_recipe(session: Session, document: dict[str, Any], **kwargs: Any) -> SaveResult:
    try:
        from app.engine.recipes import save_recipe as engine_save
    except ImportError:
        return _local_save_recipe(session, document, **kwargs)
    result = engine_save(session, document, **kwargs)
    return SaveResult(result.recipe, result.created, result.changed, [str(e) for e in result.errors])


def set_enabled(session: Session, recipe: Recipe, enabled: bool) -> None:
    try:
        from app.engine.recipes import set_enabled as engine_set_enabled
    except ImportError:
        recipe.enabled = enabled
        definition = dict(recipe.definition or {})
        definition["enabled"] = enabled
        recipe.definition = definition
        session.flush()
        return
    engine_set_enabled(session, recipe, enabled)


def export_yaml(recipe: Recipe) -> str:
    try:
        from app.engine.recipes import export_yaml as engine_export
    except ImportError:
        return yaml.safe_dump(recipe.definition, allow_unicode=True, sort_keys=False, width=100)
    return engine_export(recipe)


def _local_preview(session: Session, document: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    from app.engine.filters import FilterSpecError, compile_filters
    from app.engine.mapping import MappingError, MappingSpecError, check_required, compile_mapping
    from connectors import registry

    result: dict[str, Any] = {"filters": None, "steps": []}
    try:
        verdict = compile_filters(document.get("filters")).evaluate(payload)
        result["filters"] = verdict.to_dict()
    except FilterSpecError as exc:
        result["filters"] = {"passed": False, "explanation": str(exc)}
    doc: dict[str, Any] = {**payload, "steps": {}}
    for step in document.get("steps") or []:
        entry: dict[str, Any] = {"key": step.get("key"), "action": step.get("action"), "input": None,
                                 "problems": []}
        try:
            _, action = registry.get_action(step["action"])
            mapped = compile_mapping(step.get("input") or {}, where=f"step {step.get('key')}").apply(doc)
            entry["input"] = mapped.value
            entry["problems"] = [str(p) for p in check_required(mapped.value, action.input_schema,
                                                                mapped.missing)]
            doc["steps"][step["key"]] = action.sample
        except MappingSpecError as exc:
            entry["problems"] = [str(e) for e in exc.errors]
        except (MappingError, LookupError, KeyError) as exc:
            entry["problems"] = [str(exc)]
        result["steps"].append(entry)
    return result


def preview(session: Session, document: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    try:
        from app.engine.preview import preview as engine_preview
    except ImportError:
        return _local_preview(session, document, payload)
    return engine_preview(session, document, payload)


def run_lookup(connection: Connection, lookup_key: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The connector lookup's options; connector errors go up (show their ``user_message``)."""
    try:
        from app.engine.lookups import run_lookup as engine_lookup
    except ImportError:
        from connectors import registry
        from connectors.sdk import Context, PermanentError

        connector = registry.get_connector(connection.connector_key)
        lookup = connector.lookup(lookup_key)
        if lookup is None:
            raise PermanentError(f"{connector.title} has no lookup {lookup_key!r}") from None
        return lookup.run(Context(config=connection.config(), connection_name=connection.name), params)
    return engine_lookup(connection, lookup_key, params)
