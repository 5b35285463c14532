"""``flask --app wsgi scheduler run|status`` and ``flask --app wsgi collection preview``."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from app.cli_worker import run_until_signalled
from app.db import get_session
from app.engine.formatters import compile_pipeline

scheduler_cli = AppGroup("scheduler", help="Scheduled jobs: polling triggers, alert summaries, retention.")
collection_cli = AppGroup("collection", help="The collection rule (régua de cobrança).")


@scheduler_cli.command("run")
@click.option("--once", is_flag=True, help="Run every job once now (if this process gets the lease), then exit.")
def scheduler_run(once: bool) -> None:
    """Run the scheduler in the foreground until stopped (SIGINT/SIGTERM).

    Use it with ``EMBEDDED_SCHEDULER=false`` on the web servers, or alongside them: only the process
    holding the database lease fires jobs; another takes over when its lease expires.
    """
    from app.scheduler import Scheduler

    scheduler = Scheduler(current_app._get_current_object())  # type: ignore[attr-defined]
    if once:
        for name in scheduler.jobs:
            ran = scheduler.run_job(name)
            click.echo(f"{name}: {'ran' if ran else 'not run (another process holds the lease, or it failed)'}")
        return
    run_until_signalled(scheduler, f"scheduler {scheduler.owner} running ({', '.join(scheduler.jobs)}); Ctrl-C to stop")


@scheduler_cli.command("status")
def scheduler_status() -> None:
    """Which process holds the scheduler lease, and until when."""
    from app.models import utcnow
    from app.scheduler import holder

    lock = holder(get_session())
    if lock is None:
        click.echo("no scheduler has run yet")
        return
    state = "active" if lock.expires_at > utcnow() else "expired"
    click.echo(f"leader {lock.owner}, lease {state} (until {lock.expires_at.isoformat(timespec='seconds')})")


@collection_cli.command("preview")
@click.argument("recipe_key", required=False)
def collection_preview(recipe_key: str | None) -> None:
    """Who would get which reminder today, and the escalation steps (fees, the owner's digest)
    (reads Asaas; stores and sends nothing)."""
    from app.collection.preview import preview, reminder_recipes

    session = get_session()
    if recipe_key and not reminder_recipes(session, recipe_key):
        raise click.ClickException(f"no recipe {recipe_key!r} on the collection rule triggers")
    rows = preview(session, recipe_key)
    if not rows:
        click.echo("no reminder is due today")
        return
    brl = compile_pipeline(["brl"])
    for row in rows:
        if row.kind == "notify_owner":
            note = "  (already queued)" if row.already_queued else ""
            click.echo(f"{row.recipe_key}\towner digest\t{row.count} payment(s) overdue {row.offset}+ day(s)"
                       f"\tto {row.email or '(no fixed address)'}{note}")
            continue
        due = date.fromisoformat(row.due_date).strftime("%d/%m/%Y")
        step = "D0" if row.offset == 0 else f"D{row.offset:+d}"
        note = "  (already queued)" if row.already_queued else ""
        who = f"{row.customer} <{row.email}>" if row.email else f"{row.customer} (no e-mail: filtered out)"
        if row.kind == "apply_fees":
            who = f"{row.customer}: fine and interest applied to the payment"
        click.echo(f"{row.recipe_key}\t{step}\t{row.payment_id}\t{brl(row.value)}\tdue {due}\t{who}{note}")
    click.echo(f"{len(rows)} reminder(s) due today; nothing was sent")
