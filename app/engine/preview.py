"""Dry runs: what a recipe would do with one event, calling no action.

Used by the wizard's live preview and by ``flask recipes test``. Steps that read an earlier step's
output (``$.steps.<key>``) see that action's documented ``sample`` output in its place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.engine.loader import load_recipe_document
from app.engine.mapping import MappingError, check_required
from app.engine.spec import RecipeSpec
from connectors import registry


def preview(session: Any, document: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    """Filter verdict and mapped input of every step for ``payload`` (a trigger output)."""
    spec, errors = load_recipe_document(document, source="<preview>")
    if spec is None:
        return {"ok": False, "errors": [str(e) for e in errors], "filters": None, "steps": []}
    return {"ok": True, "errors": [], **preview_spec(spec, payload)}


def preview_spec(spec: RecipeSpec, payload: Mapping[str, Any]) -> dict[str, Any]:
    verdict = spec.filters.evaluate(dict(payload))
    doc: dict[str, Any] = {**payload, "steps": {}}
    steps = []
    for step in spec.steps:
        _, action = registry.get_action(step.action)
        problems: list[str] = []
        try:
            mapped = step.mapping.apply(doc)
            value = mapped.value
            problems = [str(p) for p in check_required(mapped, action.input_schema, mapped.missing)]
        except MappingError as exc:
            value, problems = None, [str(exc)]
        steps.append({"key": step.key, "action": step.action, "input": value, "problems": problems})
        doc["steps"][step.key] = action.sample
    return {"filters": verdict.to_dict(), "steps": steps}
