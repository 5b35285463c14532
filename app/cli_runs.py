"""``flask runs``: run history from the command line (list, show), replay, and retention (prune).

The CLI reads the same rows as the web UI and the API. Everything shown goes through the vault's
redactor, with every connection's secrets registered first, so no credential reaches a terminal.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import Select, exists, select
from sqlalchemy.orm import aliased, defer

from app.cli_output import JSON_FLAG, dumps, emit
from app.db import get_session
from app.engine import references
from app.engine.replay import RESUMABLE, ReplayError, replay_run, replay_runs
from app.models import RUN_STATUSES, Connection, Recipe, Run, Step, utcnow
from app.retention import DEFAULT_BATCH, prune
from app.vault import REDACTOR, VaultError

runs_cli = AppGroup("runs", help="Run history: list, show, replay, prune.")

_RELATIVE = re.compile(r"^(\d+)\s*([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
MODES = {"failed-step": "failed_step", "trigger": "trigger"}


def parse_since(text: str) -> datetime:
    """``7d``, ``12h``, ``30m`` (ago), ``2025-03-01`` or an ISO datetime (UTC unless it says otherwise)."""
    match = _RELATIVE.match(text.strip().lower())
    if match:
        return utcnow() - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r}: use 7d, 12h, 30m, 2025-03-01 or 2025-03-01T12:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _register_secrets() -> None:
    """Decrypting a connection's credentials registers them with REDACTOR."""
    for connection in get_session().scalars(select(Connection)):
        try:
            connection.get_credentials()
        except VaultError:
            continue


def _query(status: str | None, recipe: str | None, since: str | None, ref: str | None = None) -> Select[Run, str]:
    query = select(Run, Recipe.key).join(Recipe, Recipe.id == Run.recipe_id)
    if ref:
        query = query.where(references.run_has_reference(ref))
    if status:
        query = query.where(Run.status == status)
    if recipe:
        query = query.where(Recipe.key == recipe)
    if since:
        query = query.where(Run.created_at >= parse_since(since))
    return query


def _summary(run: Run, key: str) -> dict[str, Any]:
    return {"id": run.id, "recipe": key, "recipe_version": run.recipe_version, "status": run.status,
            "attempt": run.attempt, "event_id": run.event_id, "replay_of": run.replay_of_id,
            "created_at": run.created_at.isoformat(), "finished_at": run.finished_at and run.finished_at.isoformat(),
            "error": REDACTOR.text(run.error) if run.error else None, "references": run.refs or {}}


@runs_cli.command("list")
@click.option("--status", type=click.Choice(RUN_STATUSES), help="Only runs in this status.")
@click.option("--recipe", help="Only runs of this recipe key.")
@click.option("--since", help="Created since: 7d, 12h, 30m or a date/time (UTC).")
@click.option("--ref", help="Only runs about this payment id, document token, CPF/CNPJ, e-mail or name "
                            "(the start of it is enough from 3 characters).")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@JSON_FLAG
def list_(status: str | None, recipe: str | None, since: str | None, ref: str | None, limit: int,
          as_json: bool) -> None:
    """Runs, newest first, each with what it was about (its business references)."""
    _register_secrets()
    query = _query(status, recipe, since, (ref or "").strip() or None).order_by(Run.id.desc()).limit(limit)
    rows = get_session().execute(query.options(defer(Run.trigger_output), defer(Run.filter_result))).all()
    items = [_summary(run, key) for run, key in rows]
    if as_json:
        emit(items)
        return
    for item in items:
        error = f"\t{item['error'][:100]}" if item["error"] else ""
        about = references.shown(item["references"]) or "-"
        click.echo(f"{item['id']}\t{item['status']}\t{item['recipe']} v{item['recipe_version']}\t"
                   f"{item['created_at'][:19]}\t{about}\tattempt {item['attempt']}{error}")


def _get_run(run_id: int) -> tuple[Run, str]:
    row = get_session().execute(_query(None, None, None).where(Run.id == run_id)).first()
    if row is None:
        raise click.ClickException(f"run {run_id} does not exist; see: flask --app wsgi runs list")
    return row[0], row[1]


def _step(step: Step) -> dict[str, Any]:
    return {"position": step.position, "key": step.key, "action": step.action_key, "status": step.status,
            "attempts": step.attempt, "duration_ms": step.duration_ms, "idempotency_key": step.idempotency_key,
            "input": REDACTOR(step.input), "output": REDACTOR(step.output),
            "error": REDACTOR.text(step.error) if step.error else None, "error_kind": step.error_kind}


def _pretty(value: Any) -> str:
    return dumps(value)


@runs_cli.command("show")
@click.argument("run_id", type=int)
@JSON_FLAG
def show(run_id: int, as_json: bool) -> None:
    """One run: status, filter verdict and each step's input, output, error and attempts (secrets masked)."""
    _register_secrets()
    run, key = _get_run(run_id)
    steps = [_step(s) for s in get_session().scalars(select(Step).where(Step.run_id == run.id).order_by(Step.position))]
    data = {**_summary(run, key), "error_kind": run.error_kind, "filter_result": REDACTOR(run.filter_result),
            "trigger_output": REDACTOR(run.trigger_output), "steps": steps}
    if as_json:
        emit(data)
        return
    click.echo(f"run {run.id}: {run.status}  recipe {key} v{run.recipe_version}  attempt {run.attempt}"
               f"/{run.max_attempts}  event {run.event_id or '-'}"
               + (f"  replay of run {run.replay_of_id}" if run.replay_of_id else ""))
    click.echo(f"created {data['created_at']}  finished {data['finished_at'] or '-'}")
    if data["error"]:
        click.echo(f"error ({run.error_kind}): {data['error']}")
    verdict = data["filter_result"]
    click.echo(f"filters: {'passed' if verdict['passed'] else 'stopped'}: {verdict['explanation']}"
               if verdict else "filters: not evaluated")
    for step in steps:
        took = "-" if step["duration_ms"] is None else step["duration_ms"]
        click.echo(f"\nstep {step['position']} {step['key']} ({step['action']}): {step['status']}, "
                   f"{step['attempts']} attempt(s), {took} ms")
        for part in ("input", "output"):
            if step[part] is not None:
                click.echo(f"  {part}:\n" + "\n".join(f"    {line}" for line in _pretty(step[part]).splitlines()))
        if step["error"]:
            click.echo(f"  error ({step['error_kind']}): {step['error']}")


def _mode(requested: str | None, status: str) -> str:
    if requested:
        return MODES[requested]
    return "failed_step" if status in RESUMABLE else "trigger"


@runs_cli.command("replay")
@click.argument("run_id", type=int, required=False)
@click.option("--from", "from_", type=click.Choice(list(MODES)), default=None,
              help="failed-step: reuse succeeded steps (default for failed runs); trigger: the current recipe.")
@click.option("--force", is_flag=True, help="With --from trigger: replay a succeeded run (repeats its effects).")
@click.option("--status", type=click.Choice(["failed", "filtered", "skipped"]), help="Bulk: every run in this status.")
@click.option("--recipe", help="Bulk: only runs of this recipe key.")
@click.option("--since", help="Bulk: created since (7d, 12h, a date).")
@click.option("--limit", type=click.IntRange(1, 10000), default=100, show_default=True, help="Bulk: at most.")
@click.option("--yes", is_flag=True, help="Bulk: do not ask for confirmation.")
@JSON_FLAG
def replay(run_id: int | None, from_: str | None, force: bool, status: str | None, recipe: str | None,
           since: str | None, limit: int, yes: bool, as_json: bool) -> None:
    """Replay one run (RUN_ID), or in bulk (--status [--recipe]); each replay is a new queued run."""
    session = get_session()
    if (run_id is None) == (status is None):
        raise click.UsageError("give a RUN_ID, or --status (with --recipe/--since) to replay in bulk")
    if run_id is not None:
        run, _ = _get_run(run_id)
        try:
            new = replay_run(session, run_id, mode=_mode(from_, run.status), force=force)
        except ReplayError as exc:
            raise click.ClickException(str(exc)) from None
        if as_json:
            emit({"queued": [{"id": new.id, "replay_of": run_id}], "problems": []})
            return
        click.echo(f"queued run {new.id} (replay of run {run_id}); the worker executes it")
        return
    assert status is not None
    later = aliased(Run)
    query = _query(status, recipe, since).where(~exists().where(later.replay_of_id == Run.id))
    ids = [run.id for run, _ in session.execute(query.order_by(Run.id).limit(limit))]
    if not ids:
        raise click.ClickException(f"no {status} run to replay (runs already replayed are left out)")
    if not yes:
        if as_json:
            raise click.UsageError("--json needs --yes (there is no one to answer the confirmation)")
        click.confirm(f"Replay {len(ids)} {status} run(s)?", abort=True)
    new_runs, problems = replay_runs(session, ids, mode=_mode(from_, status))
    if as_json:
        emit({"queued": [{"id": r.id, "replay_of": r.replay_of_id} for r in new_runs],
              "problems": [str(p) for p in problems]}, ok=bool(new_runs) or not problems)
        return
    for problem in problems:
        click.echo(f"not replayed: {problem}", err=True)
    click.echo(f"queued {len(new_runs)} replay(s): " + ", ".join(str(r.id) for r in new_runs))
    if problems and not new_runs:
        raise click.ClickException("nothing replayed")


@runs_cli.command("prune")
@click.option("--days", type=click.IntRange(min=1), default=None, help="Keep this many days (default RETENTION_DAYS).")
@click.option("--batch-size", type=click.IntRange(1, 100000), default=DEFAULT_BATCH, show_default=True)
@click.option("--no-compact", is_flag=True, help="SQLite: skip VACUUM after deleting.")
def prune_(days: int | None, batch_size: int, no_compact: bool) -> None:
    """Delete finished runs, their steps, unused events and rejected deliveries older than N days."""
    keep = days if days is not None else int(current_app.config.get("RETENTION_DAYS", 30))
    report = prune(get_session(), days=keep, batch_size=batch_size, compact=not no_compact)
    click.echo(f"pruned before {report.cutoff:%Y-%m-%d %H:%M} UTC ({keep} days): {report.runs} run(s), "
               f"{report.steps} step(s), {report.events} event(s), {report.deliveries} webhook delivery(ies)")
    if report.size_before is not None:
        click.echo(f"SQLite file: {report.size_before:,} -> {report.size_after:,} bytes")
