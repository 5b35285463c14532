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
from app.cli_output import JSON_FLAG, dumps, emit
from app.cli_recipes_report import print_online, print_plan, problem_rows, waiting_line
from app.db import get_session
from app.engine.compiled import RecipeUnusable, compiled_recipe
from app.engine.loader import load_recipes
from app.engine.online import OnlineReport, check_online
from app.engine.plan import apply_plan, compute_plan
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
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        click.echo(f"warning: database not reachable ({reason}); connection names not checked "
                   "(--offline skips this check)", err=True)
        return None


@recipes_cli.command("validate")
@PATH_ARG
@MAPPINGS_OPT
@click.option("--offline", is_flag=True, help="Do not check connection names against the database.")
@click.option("--online", is_flag=True, help="Also ask the services: templates, variables, credentials.")
@JSON_FLAG
def validate(path: Path | None, mappings_dir: Path | None, offline: bool, online: bool, as_json: bool) -> None:
    """Load every recipe and mapping in PATH and print every problem as file:line: message."""
    if offline and online:
        raise click.UsageError("--offline and --online exclude each other")
    recipes_dir, mappings, only = _dirs(path, mappings_dir)
    connections = _known_connections(offline)
    if online and connections is None:
        raise click.ClickException("--online needs the database (the connections to ask with)")
    loaded = load_recipes(recipes_dir, mappings, connections=connections)
    errors = [e for e in loaded.errors if only is None or e.file == only]
    report = check_online(get_session(), loaded, files={only} if only else None) if online else OnlineReport()
    problems = errors + report.problems + report.unreachable
    if as_json:
        emit({"ok": not problems, "connections_checked": connections is not None, "online": online,
              "recipes": sorted(loaded.recipes), "mappings": sorted(loaded.mappings),
              "problems": problem_rows(errors, "load") + problem_rows(report.problems, "online")
              + problem_rows(report.unreachable, "unreachable"),
              "waiting": [w.to_dict() for w in loaded.waiting if only is None or w.file == only],
              "services": [a.to_dict() for a in report.connections]}, ok=not problems)
        return
    for error in errors:
        click.echo(str(error))
    print_online(report)
    if problems:
        files = len({e.file for e in problems})
        raise click.ClickException(f"{len(problems)} problem(s) in {files} file(s)")
    what = only or f"{len(loaded.recipes)} recipe(s) and {len(loaded.mappings)} mapping(s)"
    click.echo(f"ok: {what} valid" + (" (connections not checked)" if offline else "")
               + (", and the live accounts agree" if online else ""))


@recipes_cli.command("plan")
@PATH_ARG
@MAPPINGS_OPT
@click.option("--offline", is_flag=True, help="Do not ask the services about the recipes (the online check).")
@JSON_FLAG
def plan(path: Path | None, mappings_dir: Path | None, offline: bool, as_json: bool) -> None:
    """What `recipes apply` would change, checked against the live accounts (exit 1 on any problem)."""
    recipes_dir, mappings, _ = _dirs(path, mappings_dir)
    session = get_session()
    result = compute_plan(session, recipes_dir, mappings)
    report = check_online(session, result.loaded) if not offline and result.loaded else None
    online_problems = len(report.problems) if report else 0
    if as_json:
        emit({"ok": result.ok and not online_problems, "changes": [c.to_dict() for c in result.changes],
              "errors": [str(e) for e in result.errors],
              "waiting": [{"key": c.key, "file": c.file, "connections": list(c.waiting_for)}
                          for c in result.changes if c.action == "waiting"],
              "online": report.to_dict() if report else None}, ok=result.ok and not online_problems)
        return
    print_plan(result)
    if report:
        print_online(report)
    if line := waiting_line(result):
        click.echo(line)
    if not result.ok:
        raise click.ClickException(f"apply would refuse: {len(result.errors)} problem(s); fix them first")
    if online_problems:
        raise click.ClickException(f"{online_problems} problem(s) with the live accounts: apply would succeed, "
                                   "but those steps would fail; fix them first")


@recipes_cli.command("apply")
@PATH_ARG
@MAPPINGS_OPT
@click.option("--allow-duplicates", is_flag=True,
              help="Activate recipes even when active ones already run the same action on the same trigger.")
@JSON_FLAG
def apply(path: Path | None, mappings_dir: Path | None, allow_duplicates: bool, as_json: bool) -> None:
    """Apply every recipe file, all-or-nothing: one invalid file (or unconfirmed duplicate) and nothing is applied."""
    recipes_dir, mappings, _ = _dirs(path, mappings_dir)
    session = get_session()
    result = compute_plan(session, recipes_dir, mappings)
    if not as_json:
        print_plan(result, diffs=False)
    problems = apply_plan(session, result, allow_duplicates=allow_duplicates)
    if as_json:
        applied = {a: [c.key for c in result.changes if c.action == a] for a in ("create", "update", "disable")}
        emit({"ok": not problems, "applied": not problems, "created": [] if problems else applied["create"],
              "updated": [] if problems else applied["update"], "disabled": [] if problems else applied["disable"],
              "unchanged": [c.key for c in result.changes if c.action == "unchanged"],
              "waiting": [{"key": c.key, "file": c.file, "connections": list(c.waiting_for)}
                          for c in result.changes if c.action == "waiting"],
              "problems": problems}, ok=not problems)
        return
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise click.ClickException(f"nothing applied: {len(problems)} problem(s)")
    click.echo(f"applied: {result.count('create')} created, {result.count('update')} updated, "
               f"{result.count('disable')} disabled")
    if line := waiting_line(result):
        click.echo(line)


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
@JSON_FLAG
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
        emit(items)
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
        click.echo(dumps(step["input"]))
        for problem in step["problems"]:
            click.echo(f"  problem: {problem}")


@recipes_cli.command("test")
@click.argument("key")
@click.option("--event", "event_file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path),
              help="A JSON trigger output or a raw webhook body ('-': stdin).")
@click.option("--last", "last", type=click.IntRange(1, 1000), help="The last N stored events that fire the trigger.")
@click.option("--stored", is_flag=True, help="Test the stored version even when recipes/<key>.yaml exists.")
@JSON_FLAG
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
        emit({"recipe": key, "source": source, "results": results})
        return
    click.echo(f"recipe {key} from {source} (dry run: no action is called)")
    for result in results:
        _print_trial(result)
