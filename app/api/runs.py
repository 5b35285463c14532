"""``/api/runs`` (history, replay) and ``/api/recipes`` (list, save, enable, export, preview)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, load_only

from app.api import bp
from app.api.body import json_object
from app.api.contract import (
    ANY_OBJECT,
    BULK_REPLAY,
    BULK_REPLAY_BODY,
    CONFIRM_QUERY,
    ENABLED_BODY,
    PREVIEW_BODY,
    RECIPE,
    RECIPES,
    REPLAY_BODY,
    RUN,
    RUNS,
    RUNS_QUERY,
    operation,
)
from app.api.errors import ApiError
from app.auth import login_required_json
from app.db import get_session
from app.engine import references
from app.engine.duplicates import find_duplicates
from app.engine.preview import preview
from app.engine.recipes import export_yaml, save_recipe, set_enabled
from app.engine.replay import MODES, ReplayError, replay_run, replay_runs
from app.history import run_to_dict
from app.inputs import MAX_ID, parse_int
from app.models import Event, Recipe, Run
from connectors import registry

STATUSES = ("queued", "running", "retrying", "succeeded", "filtered", "failed", "skipped")


def _int_arg(name: str, default: int, maximum: int) -> int:
    value = parse_int(request.args.get(name, str(default)), minimum=0, maximum=10**12)
    if value is None:
        raise ApiError(400, f"{name} must be a whole number")
    return min(value, maximum)


def _wake() -> None:
    executor = current_app.extensions.get("ponte_executor")
    if executor is not None:
        executor.notify()


@bp.get("/runs")
@login_required_json
@operation("List runs, newest first", query=RUNS_QUERY, responses={200: RUNS})
def list_runs() -> ResponseReturnValue:
    """Runs, newest first; ``status``, ``recipe`` (key) and ``ref`` (a business reference: payment id,
    document token, name, CPF/CNPJ, e-mail; prefix match, see ``app/engine/references.py``)."""
    # The event and recipe of a page come with it (two joins), not one lazy load per run.
    query = select(Run).order_by(Run.id.desc()).options(
        joinedload(Run.event).options(load_only(Event.id, Event.event_type)),
        joinedload(Run.recipe).options(load_only(Recipe.id, Recipe.key)))
    status = request.args.get("status")
    if status:
        if status not in STATUSES:
            raise ApiError(400, f"unknown status {status!r}; use one of: {', '.join(STATUSES)}")
        query = query.where(Run.status == status)
    if request.args.get("recipe"):
        recipe_id = get_session().scalar(select(Recipe.id).where(Recipe.key == request.args["recipe"]))
        query = query.where(Run.recipe_id == recipe_id)
    ref = request.args.get("ref", "").strip()
    if ref:
        if len(ref) > 255:
            raise ApiError(400, "ref is a payment id, document token, name, CPF/CNPJ or e-mail "
                                "(at most 255 characters)")
        query = query.where(references.run_has_reference(ref))
    limit, offset = _int_arg("limit", 50, 500), _int_arg("offset", 0, 10**9)
    runs = get_session().scalars(query.limit(limit).offset(offset))
    return jsonify({"runs": [run_to_dict(r) for r in runs], "limit": limit, "offset": offset})


@bp.get("/runs/<int:run_id>")
@login_required_json
@operation("A run with its steps", responses={200: RUN})
def show_run(run_id: int) -> ResponseReturnValue:
    run = get_session().get(Run, run_id)
    if run is None:
        raise ApiError(404, f"run {run_id} does not exist")
    return jsonify(run_to_dict(run, steps=True))


@bp.post("/runs/<int:run_id>/replay")
@login_required_json
@operation("Replay a run from its failed step or its trigger", body=REPLAY_BODY, responses={201: RUN})
def replay(run_id: int) -> ResponseReturnValue:
    body = json_object(optional=True)
    mode = body.get("mode", "failed_step")
    if mode not in MODES:
        raise ApiError(400, f"mode must be one of: {', '.join(MODES)}")
    force = body.get("force", False)
    if not isinstance(force, bool):
        raise ApiError(400, "force must be true or false (a JSON boolean)")
    try:
        run = replay_run(get_session(), run_id, mode=mode, force=force)
    except ReplayError as exc:
        raise ApiError(409, str(exc)) from None
    _wake()
    return jsonify(run_to_dict(run)), 201


@bp.post("/runs/replay")
@login_required_json
@operation("Replay several runs (409 with the problems when none could be)", body=BULK_REPLAY_BODY,
           responses={201: BULK_REPLAY, 409: BULK_REPLAY})
def bulk_replay() -> ResponseReturnValue:
    body = json_object()
    ids = body.get("ids")
    if (not isinstance(ids, list) or not ids
            or not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_ID for i in ids)):
        raise ApiError(422, "ids must be a non-empty list of run ids")
    mode = body.get("mode", "failed_step")
    if not isinstance(mode, str) or mode not in MODES:  # found by schemathesis: was a 409 per run
        raise ApiError(422, f"mode must be one of: {', '.join(MODES)}",
                       details=[{"field": "mode", "message": "unknown replay mode"}])
    runs, problems = replay_runs(get_session(), ids, mode=mode)
    _wake()
    return jsonify({"replayed": [r.id for r in runs], "problems": problems}), 201 if runs else 409


def _recipe(key: str) -> Recipe:
    recipe = get_session().scalar(select(Recipe).where(Recipe.key == key))
    if recipe is None:
        raise ApiError(404, f"recipe {key!r} does not exist")
    return recipe


def _recipe_dict(recipe: Recipe) -> dict[str, Any]:
    return {"key": recipe.key, "name": recipe.name, "enabled": recipe.enabled, "source": recipe.source,
            "source_path": recipe.source_path, "version": recipe.version, "trigger": recipe.trigger_key,
            "definition": recipe.definition}


@bp.get("/recipes")
@login_required_json
@operation("List recipes", responses={200: RECIPES})
def list_recipes() -> ResponseReturnValue:
    recipes = get_session().scalars(select(Recipe).order_by(Recipe.key))
    return jsonify({"recipes": [_recipe_dict(r) for r in recipes]})


@bp.get("/recipes/<key>")
@login_required_json
@operation("A recipe", responses={200: RECIPE})
def show_recipe(key: str) -> ResponseReturnValue:
    return jsonify(_recipe_dict(_recipe(key)))


@bp.post("/recipes")
@login_required_json
@operation("Create or update a recipe from its document (409 when active recipes already do its work)",
           body=ANY_OBJECT, query=CONFIRM_QUERY, responses={200: RECIPE, 201: RECIPE})
def save() -> ResponseReturnValue:
    session = get_session()
    result = save_recipe(session, json_object(), source="api", owner_id=current_user.id, commit=False)
    if result.errors or result.recipe is None:
        session.rollback()
        raise ApiError(422, "the recipe is not valid", details=[{"message": e} for e in result.errors])
    if result.recipe.enabled:
        _refuse_duplicates(session, result.recipe.definition)
    session.commit()
    return jsonify({**_recipe_dict(result.recipe), "changed": result.changed}), 201 if result.created else 200


def _refuse_duplicates(session: Any, definition: dict[str, Any]) -> None:
    """409 (nothing written) when active recipes already do this work, unless ``?confirm_duplicates=1``."""
    if request.args.get("confirm_duplicates", "").lower() in ("1", "true", "yes"):
        return
    duplicates = find_duplicates(session, definition)
    if duplicates:
        session.rollback()
        raise ApiError(409, "active recipes already run the same action on the same trigger and accounts: "
                       "activating this one handles each event twice; repeat with ?confirm_duplicates=1 "
                       "to activate it anyway", code="duplicate_recipes",
                       details=[{**d.to_dict(), "url": f"/api/recipes/{d.key}"} for d in duplicates])


@bp.patch("/recipes/<key>")
@login_required_json
@operation("Enable or disable a recipe (409 when active recipes already do its work)", body=ENABLED_BODY,
           query=CONFIRM_QUERY, responses={200: RECIPE})
def patch_recipe(key: str) -> ResponseReturnValue:
    body = json_object()
    if set(body) != {"enabled"} or not isinstance(body["enabled"], bool):
        raise ApiError(422, 'only {"enabled": true|false} can be changed here; POST the recipe to edit it')
    recipe = _recipe(key)
    if body["enabled"] and not recipe.enabled:
        _refuse_duplicates(get_session(), recipe.definition)
    set_enabled(get_session(), recipe, body["enabled"], by=current_user.id)
    return jsonify(_recipe_dict(recipe))


@bp.get("/recipes/<key>/export")
@login_required_json
@operation("A recipe as YAML", responses={200: "application/yaml"})
def export(key: str) -> ResponseReturnValue:
    return Response(export_yaml(_recipe(key)), mimetype="application/yaml")


@bp.post("/recipes/<key>/preview")
@login_required_json
@operation("Try a recipe on a trigger output without running actions", body=PREVIEW_BODY,
           responses={200: ANY_OBJECT})
def dry_run(key: str) -> ResponseReturnValue:
    payload = json_object().get("payload")
    if not isinstance(payload, dict):
        raise ApiError(422, "payload must be the trigger output to try the recipe on (an object)")
    return jsonify(preview(get_session(), _recipe(key).definition, payload))


@bp.get("/connectors")
@login_required_json
@operation("The connector catalogue", responses={200: {"type": "object", "required": ["connectors"]}})
def connectors() -> ResponseReturnValue:
    return jsonify({"connectors": registry.catalogue()})
