"""The automation catalogue and the existing recipes: list, view (YAML), download, enable, edit.

The catalogue's starting points are the seed recipes in ``recipes/`` (their mapping files inlined as
the steps' ``input`` so the wizard can edit them) plus a blank one. Each entry shows the recipe's own
name and description (data, as its author wrote them) and what it wires, in the page's language,
from the connectors' metadata; a new seed recipe file appears without a line here. Recipes managed by files
(``source == "file"``) are edited in their YAML (``flask recipes apply``), but any automation can be
switched on or off here: the switch is recorded (who, when) and ``recipes apply`` keeps it.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from app.db import get_session
from app.engine.duplicates import find_duplicates
from app.models import Connection, Recipe
from app.web import bp, drafts
from app.web import wizard_schedule as schedule
from app.web.engine import export_yaml, set_enabled
from app.web.labels import action_title, trigger_title
from app.web.runs_views import runs_for_recipe

BLANK = {"title": _l("Blank automation"), "description": _l("Choose any trigger and action yourself."), "via": ""}


def _dir(setting: str, name: str) -> Path:
    configured = current_app.config.get(setting)
    return Path(configured) if configured else Path(current_app.root_path).parent / name


def inline_mappings(document: dict[str, Any]) -> dict[str, Any]:
    """A copy where each ``mapping: key`` step gets that mapping file's ``fields`` as ``input``."""
    document = copy.deepcopy(document)
    for step in document.get("steps") or []:
        key = step.pop("mapping", None)
        if key and "input" not in step:
            path = _dir("MAPPINGS_DIR", "mappings") / f"{key}.yaml"
            try:
                step["input"] = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("fields", {})
            except (OSError, yaml.YAMLError):
                step["input"] = {}
    return document


def catalogue_entries() -> dict[str, dict[str, Any]]:
    """``{recipe key: {title, description, via}}`` for every seed recipe file, then the blank one."""
    entries: dict[str, dict[str, Any]] = {}
    for path in sorted(_dir("RECIPES_DIR", "recipes").glob("*.yaml")):
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        if not isinstance(document, dict):
            continue
        steps = [step.get("action") for step in document.get("steps") or [] if isinstance(step, dict)]
        via = [trigger_title((document.get("trigger") or {}).get("event")), *map(action_title, steps)]
        entries[path.stem] = {"title": str(document.get("name") or path.stem),
                              "description": " ".join(str(document.get("description") or "").split()),
                              "via": " → ".join(v for v in via if v)}
    return {**entries, "blank": BLANK}


def template_document(key: str) -> dict[str, Any]:
    """The starting document of a catalogue entry (a seed recipe, or a blank skeleton)."""
    if key == "blank":
        return {"key": "", "name": "", "description": "", "enabled": True,
                "trigger": {"connection": "", "event": ""}, "filters": [], "steps": []}
    path = _dir("RECIPES_DIR", "recipes") / f"{key}.yaml"
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        abort(404)
    return inline_mappings(document)


def _recipe_or_404(recipe_id: int) -> Recipe:
    recipe = get_session().get(Recipe, recipe_id)
    if recipe is None:
        abort(404)
    return recipe


@bp.get("/automations")
@login_required
def recipes() -> ResponseReturnValue:
    rows = get_session().scalars(select(Recipe).order_by(Recipe.name)).all()
    return render_template("recipes/list.html", recipes=rows)


@bp.get("/automations/new")
@login_required
def catalogue() -> ResponseReturnValue:
    return render_template("recipes/catalogue.html", templates=catalogue_entries())


@bp.post("/automations/new")
@login_required
def start_wizard() -> ResponseReturnValue:
    template = request.form.get("template", "")
    if template not in catalogue_entries():
        abort(400)
    document = template_document(template)
    if template != "blank":
        document["key"] = ""
    draft = drafts.new_draft(current_user.id, document, template=template)
    from app.web.wizard import first_step

    return redirect(url_for("web.wizard_step", draft_id=draft["id"], step=first_step(draft)))


def _accounts(definition: dict[str, Any]) -> list[Connection]:
    """The connections the recipe uses (trigger, then steps), so the page can flag one in error."""
    names = [(definition.get("trigger") or {}).get("connection"),
             *((step or {}).get("connection") for step in definition.get("steps") or [])]
    wanted = [n for n in dict.fromkeys(names) if isinstance(n, str) and n]
    if not wanted:
        return []
    rows = {c.name: c for c in get_session().scalars(select(Connection).where(Connection.name.in_(wanted)))}
    return [rows[n] for n in wanted if n in rows]


@bp.get("/automations/<int:recipe_id>")
@login_required
def recipe_detail(recipe_id: int) -> ResponseReturnValue:
    recipe = _recipe_or_404(recipe_id)
    duplicates = [] if recipe.enabled else find_duplicates(get_session(), {**recipe.definition, "key": recipe.key})
    return render_template("recipes/detail.html", recipe=recipe, yaml_text=export_yaml(recipe), duplicates=duplicates,
                           runs=runs_for_recipe(get_session(), recipe.id),
                           accounts=_accounts(recipe.definition),
                           next_runs=schedule.next_runs(recipe.definition, 3) if recipe.enabled else [])


@bp.get("/automations/<int:recipe_id>/recipe.yaml")
@login_required
def recipe_download(recipe_id: int) -> ResponseReturnValue:
    recipe = _recipe_or_404(recipe_id)
    return Response(export_yaml(recipe), mimetype="application/yaml", headers={
        "Content-Disposition": f'attachment; filename="{recipe.key}.yaml"'})


@bp.post("/automations/<int:recipe_id>/enabled")
@login_required
def recipe_enable(recipe_id: int) -> ResponseReturnValue:
    """Switch any automation on or off, file-managed ones included (the switch is recorded and
    ``recipes apply`` keeps it); switching on next to one doing the same work needs a confirmation."""
    recipe = _recipe_or_404(recipe_id)
    enabled = request.form.get("enabled") == "1"
    session = get_session()
    if enabled and not recipe.enabled:
        confirmed = set(request.form.getlist("confirm_duplicate"))
        duplicates = find_duplicates(session, {**recipe.definition, "key": recipe.key})
        if any(str(d.id) not in confirmed for d in duplicates):
            flash(_("Not enabled: %(names)s already does the same work, so each event would be handled twice. "
                    "Confirm below to enable it anyway.", names=", ".join(f"“{d.name}”" for d in duplicates)),
                  "error")
            return redirect(url_for("web.recipe_detail", recipe_id=recipe.id))
    set_enabled(session, recipe, enabled, by=current_user.id)
    session.commit()
    flash(_("Automation enabled.") if enabled else _("Automation disabled."), "success")
    return redirect(request.form.get("back") == "list" and url_for("web.recipes")
                    or url_for("web.recipe_detail", recipe_id=recipe.id))


@bp.post("/automations/<int:recipe_id>/edit")
@login_required
def recipe_edit(recipe_id: int) -> ResponseReturnValue:
    recipe = _recipe_or_404(recipe_id)
    if recipe.source == "file":
        abort(403)
    document = inline_mappings(recipe.definition)
    draft = drafts.new_draft(current_user.id, document, template="edit", recipe_id=recipe.id)
    return redirect(url_for("web.wizard_step", draft_id=draft["id"], step="connect"))
