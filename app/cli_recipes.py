"""``flask recipes``: recipes as code. validate, plan, apply, export, list, and dry-run with ``test``.

``validate`` is the compiler (every problem as ``file:line: message``, exit 1); ``plan`` says what
``apply`` would change; ``apply`` is all-or-nothing; ``export`` writes YAML that applies back
unchanged; ``test`` shows what a recipe would do with an event without calling any action.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.cli_dryrun import Trial, trial_from_file, trials_from_last
from app.db import get_session
from app.engine.compiled import RecipeUnusable, compiled_recipe
from app.engine.loader import load_recipes
from app.engine.plan import Change, Plan, apply_plan, compute_plan
from app.engine.recipes import connection_names, export_yaml
from app.engine.spec import RecipeSpec
from app.models import Recipe, Run

recipes_cli = AppGroup("recipes", help="Recipes as code: validate, plan, apply, export, list, test.")

PATH_ARG = click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
MAPPINGS_OPT = click.option("--mappings", "mappings_dir", type=click.Path(path_type=Path), default=None,
                            help="Mappings folder (default: MAPPINGS_DIR, or PATH/mappings).")


def _dirs(path: Path | None, mappings_dir: Path | None) -> tuple[Path, Path, str | None]:
    """``(recipes folder, mappings folder, only this file)`` from PATH: a project, a recipes folder or a file."""
    config = current_app.config
    only = None
    if path is None:
        recipes = Path(config["RECIPES_DIR"])
    elif path.is_file():
        recipes, only = path.parent, f"{path.parent.name}/{path.name}"
    elif (path / "recipes").is_dir():
        recipes, mappings_dir = path / "recipes", mappings_dir or path / "mappings"
    else:
        recipes = path
    return recipes, mappings_dir or Path(config["MAPPINGS_DIR"]), only


def _known_connections(offline: bool) -> set[str] | None:
    if offline:
        return None
    try:
        return connection_names(get_session())
    except SQLAlchemyError as exc:
        get_session().rollback()
        reason = str(exc.orig if getattr(exc, "orig", None) else exc).splitlines()[0]
        click.echo(f"warning: database not reachable ({reason}); connection names not checked "
                   "(--offline skips this check)", err=True)
        return None


@recipes_cli.command("validate")
@PATH_ARG
@MAPPINGS_OPT
@click.option("--offline", is_flag=True, help="Do not check connection names against the database.")
def validate(path: Path | None, mappings_dir: Path | None, offline: bool) -> None:
    """Load every recipe and mapping in PATH and print every problem as file:line: message."""
    recipes_dir, mappings, only = _dirs(path, mappings_dir)
    loaded = load_recipes(recipes_dir, mappings, connections=_known_connections(offline))
    errors = [e for e in loaded.errors if only is None or e.file == only]
    for error in errors:
        click.echo(str(error))
    if errors:
        files = len({e.file for e in errors})
        raise click.ClickException(f"{len(errors)} problem(s) in {files} file(s)")
    what = only or f"{len(loaded.recipes)} recipe(s) and {len(loaded.mappings)} mapping(s)"
    click.echo(f"ok: {what} valid" + (" (connections not checked)" if offline else ""))


def _print_plan(plan: Plan, *, diffs: bool = True) -> None:
    for change in plan.changes:
        click.echo(_describe(change))
        if diffs and change.diff:
            click.echo("\n".join(f"    {line}" for line in change.diff.splitlines()))
        for error in change.errors:
            click.echo(f"    {error}")
    named = {e for c in plan.changes for e in c.errors}
    for error in (e for e in plan.errors if str(e) not in named):
        click.echo(f"invalid    {error}")
    counts = ", ".join(f"{plan.count(a)} {label}" for a, label in (
        ("create", "to create"), ("update", "to update"), ("unchanged", "unchanged"),
        ("disable", "to disable"), ("invalid", "invalid")))
    click.echo(f"plan: {counts}")


def _describe(change: Change) -> str:
    version = f" v{change.version}" if change.version else ""
    detail = {
        "create": f"({change.file})",
        "update": f"v{change.version} -> v{(change.version or 0) + 1} ({change.file})",
        "unchanged": f"{version.strip()} ({change.file})" + (", becomes managed by this file" if change.adopt else ""),
        "invalid": f"({change.file})",
        "disable": f"{version.strip()} (its file {change.file} was removed; would disable, runs keep it)",
    }[change.action]
    return f"{change.action:<10} {change.key}  {detail}"


@recipes_cli.command("plan")
@PATH_ARG
@MAPPINGS_OPT
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def plan(path: Path | None, mappings_dir: Path | None, as_json: bool) -> None:
    """What `recipes apply` would change in the database (exit 1 when a file is invalid)."""
    recipes_dir, mappings, _ = _dirs(path, mappings_dir)
    result = compute_plan(get_session(), recipes_dir, mappings)
    if as_json:
        click.echo(json.dumps({"ok": result.ok, "changes": [c.to_dict() for c in result.changes],
                               "errors": [str(e) for e in result.errors]}, indent=2, ensure_ascii=False))
    else:
        _print_plan(result)
    if not result.ok:
        raise click.ClickException(f"apply would refuse: {len(result.errors)} problem(s); fix them first")


@recipes_cli.command("apply")
@PATH_ARG
@MAPPINGS_OPT
def apply(path: Path | None, mappings_dir: Path | None) -> None:
    """Apply every recipe file, all-or-nothing: one invalid file and nothing is applied."""
    recipes_dir, mappings, _ = _dirs(path, mappings_dir)
    session = get_session()
    result = compute_plan(session, recipes_dir, mappings)
    _print_plan(result, diffs=False)
    problems = apply_plan(session, result)
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise click.ClickException(f"nothing applied: {len(problems)} problem(s)")
    click.echo(f"applied: {result.count('create')} created, {result.count('update')} updated, "
               f"{result.count('disable')} disabled")


def _recipe(key: str) -> Recipe:
    recipe = get_session().scalar(select(Recipe).where(Recipe.key == key))
    if recipe is None:
        raise click.ClickException(f"no recipe {key!r} in the database; see: flask --app wsgi recipes list")
    return recipe


@recipes_cli.command("export")
@click.argument("key")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (default: print). Name it recipes/<key>.yaml to manage it as a file.")
@click.option("--force", is_flag=True, help="Overwrite --output if it exists.")
def export(key: str, output: Path | None, force: bool) -> None:
    """Print a stored recipe as YAML that `recipes apply` takes back unchanged."""
    recipe = _recipe(key)
    text = f"# recipe {recipe.key} v{recipe.version} (source: {recipe.source}), exported by Ponte\n"
    text += export_yaml(recipe)
    if output is None:
        click.echo(text, nl=False)
        return
    if output.exists() and not force:
        raise click.ClickException(f"{output} exists; use --force to overwrite it")
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}")
    if output.stem != key:
        click.echo(f"note: `recipes apply` needs the file name to be the key: {key}.yaml", err=True)


@recipes_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_(as_json: bool) -> None:
    """Recipes in the database: key, enabled, source, version, trigger, last run status."""
    session = get_session()
    last = select(Run.recipe_id, func.max(Run.id).label("run_id")).group_by(Run.recipe_id).subquery()
    rows = session.execute(
        select(Recipe, Run.status).outerjoin(last, last.c.recipe_id == Recipe.id)
        .outerjoin(Run, Run.id == last.c.run_id).order_by(Recipe.key)
    ).all()
    items = [{"key": r.key, "enabled": r.enabled, "source": r.source, "source_path": r.source_path,
              "version": r.version, "trigger": r.trigger_key, "last_run": status} for r, status in rows]
    if as_json:
        click.echo(json.dumps(items, indent=2, ensure_ascii=False))
        return
    for item in items:
        state = "enabled" if item["enabled"] else "disabled"
        click.echo(f"{item['key']}\t{state}\t{item['source']}\tv{item['version']}\t{item['trigger']}\t"
                   f"last run: {item['last_run'] or '-'}")


def _spec_for_test(key: str, stored: bool) -> tuple[RecipeSpec, Recipe | None, str]:
    """The file under RECIPES_DIR when there is one (what you are editing), else the stored version."""
    session = get_session()
    recipe = session.scalar(select(Recipe).where(Recipe.key == key))
    path = Path(current_app.config["RECIPES_DIR"]) / f"{key}.yaml"
    if not stored and path.is_file():
        loaded = load_recipes(path.parent, current_app.config["MAPPINGS_DIR"])
        spec = loaded.recipes.get(key)
        if spec is None:
            for error in loaded.errors:
                click.echo(str(error), err=True)
            raise click.ClickException(f"{path} has problems; fix them (see: flask --app wsgi recipes validate)")
        return spec, recipe, spec.source
    if recipe is None:
        raise click.ClickException(f"no recipe {key!r}: neither {path} nor a stored recipe")
    try:
        return compiled_recipe(session, recipe), recipe, f"recipe {key} v{recipe.version} (database)"
    except RecipeUnusable as exc:
        raise click.ClickException(f"the stored recipe {key!r} no longer loads: {exc}") from None


def _print_trial(result: dict[str, Any]) -> None:
    click.echo(f"\nevent: {result['event']}")
    for note in result["notes"]:
        click.echo(f"  note: {note}")
    verdict = result["filters"]
    if verdict["passed"]:
        click.echo(f"filters: passed ({verdict['explanation']})")
    else:
        failed = verdict["failed"] or {}
        click.echo(f"filters: stopped by {failed.get('field')} {failed.get('op')}: {verdict['explanation']}")
        click.echo(f"  actual value: {json.dumps(failed.get('actual'), ensure_ascii=False, default=str)}")
    for step in result["steps"]:
        click.echo(f"step {step['key']} ({step['action']}) input:")
        click.echo(json.dumps(step["input"], indent=2, ensure_ascii=False, default=str))
        for problem in step["problems"]:
            click.echo(f"  problem: {problem}")


@recipes_cli.command("test")
@click.argument("key")
@click.option("--event", "event_file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path),
              help="A JSON trigger output or a raw webhook body ('-': stdin).")
@click.option("--last", "last", type=click.IntRange(1, 1000), help="The last N stored events that fire the trigger.")
@click.option("--stored", is_flag=True, help="Test the stored version even when recipes/<key>.yaml exists.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def test(key: str, event_file: Path | None, last: int | None, stored: bool, as_json: bool) -> None:
    """Dry run: the filter verdict and each step's mapped input for an event. No action is called."""
    if (event_file is None) == (last is None):
        raise click.UsageError("give exactly one of --event FILE or --last N")
    spec, recipe, source = _spec_for_test(key, stored)
    try:
        trials: list[Trial] = ([trial_from_file(spec, event_file)] if event_file is not None
                               else trials_from_last(get_session(), spec, recipe, last or 0))
    except (ValueError, LookupError) as exc:
        raise click.ClickException(str(exc)) from None
    if not trials:
        origin = f"connection {spec.trigger.connection!r}" if spec.trigger.connection else f"recipe {key!r}"
        raise click.ClickException(f"no stored event of {origin} fires {spec.trigger.event}")
    results = [trial.result(spec) for trial in trials]
    if as_json:
        click.echo(json.dumps({"recipe": key, "source": source, "results": results},
                              indent=2, ensure_ascii=False, default=str))
        return
    click.echo(f"recipe {key} from {source} (dry run: no action is called)")
    for result in results:
        _print_trial(result)
