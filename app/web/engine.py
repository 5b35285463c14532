"""The engine functions the pages call, in one place: saving, switching, exporting, previewing and
looking up go through ``app.engine``; the pages get plain results (error texts, not error objects).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.engine import lookups, recipes
from app.engine import preview as engine_preview
from app.models import Connection, Recipe
from app.web import metadata


@dataclass
class SaveResult:
    recipe: Recipe | None
    created: bool = False
    changed: bool = False
    errors: list[str] = field(default_factory=list)


def save_recipe(session: Session, document: dict[str, Any], **kwargs: Any) -> SaveResult:
    result = recipes.save_recipe(session, document, **kwargs)
    return SaveResult(result.recipe, result.created, result.changed, [str(e) for e in result.errors])


def set_enabled(session: Session, recipe: Recipe, enabled: bool, *, by: int | None = None) -> None:
    recipes.set_enabled(session, recipe, enabled, by=by)


def export_yaml(recipe: Recipe) -> str:
    return recipes.export_yaml(recipe)


def preview(session: Session, document: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    return engine_preview.preview(session, document, payload)


def run_lookup(connection: Connection, lookup_key: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The connector lookup's options, labelled in the page's language; connector errors go up (show
    their ``user_message``)."""
    return lookups.run_lookup(connection, lookup_key, params, locale=metadata.locale())
