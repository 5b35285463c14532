"""``flask --app wsgi worker run`` (the executor as its own process) and ``connectors describe``."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from app.cli_output import JSON_FLAG, emit
from connectors import registry

worker_cli = AppGroup("worker", help="Execute runs outside the web server.")
connectors_cli = AppGroup("connectors", help="The connector catalogue.")


@worker_cli.command("run")
@click.option("--workers", type=int, default=None, help="Runs executed at once (default EXECUTOR_WORKERS).")
@click.option("--once", is_flag=True, help="Process what is due now, then exit.")
def worker_run(workers: int | None, once: bool) -> None:
    """Dispatch stored events and execute runs until stopped (SIGINT/SIGTERM).

    Use it with ``EMBEDDED_WORKER=false`` on the web servers to scale web and workers apart.
    Several worker processes may run at once: runs are claimed with a lease, never twice.
    """
    from app.engine.executor import EmbeddedExecutor

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    executor = EmbeddedExecutor(
        app, workers=workers or app.config["EXECUTOR_WORKERS"], poll_interval=app.config["EXECUTOR_POLL_SECONDS"]
    )
    if once:
        click.echo(f"executed {executor.run_until_idle()} run(s)")
        return
    run_until_signalled(executor, f"worker {executor.owner} running; Ctrl-C to stop")


def run_until_signalled(service: Any, banner: str) -> None:
    """Start ``service``, say ``banner``, and stop it cleanly on SIGINT or SIGTERM."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    service.start()
    click.echo(banner)
    stop.wait()
    service.stop()


@connectors_cli.command("describe")
@click.argument("key", required=False)
@JSON_FLAG
def connectors_describe(key: str | None, as_json: bool) -> None:
    """Every connector (or only KEY) with its triggers, actions and lookups."""
    if key is not None:
        try:
            registry.get_connector(key)
        except registry.UnknownConnector as exc:
            raise click.ClickException(str(exc)) from None
    catalogue = [c for c in registry.catalogue() if key in (None, c["key"])]
    if as_json:
        emit(catalogue[0] if key else catalogue)
        return
    for connector in catalogue:
        account = "" if connector["needs_connection"] else " (built in: no connection)"
        click.echo(f"{connector['key']}: {connector['title']}{account}")
        for kind in ("triggers", "actions", "lookups"):
            for item in connector[kind]:
                click.echo(f"  {kind[:-1]:8} {connector['key']}.{item['key']}: {item['title']}")
        if key:
            click.echo(f"  {connector['description']}")
            for trigger in connector["triggers"]:
                click.echo(f"\n  {connector['key']}.{trigger['key']} ({trigger['kind']}): {trigger['description']}")
                for name, prop in trigger["options_schema"].get("properties", {}).items():
                    click.echo(f"    options.{name}: {prop.get('description', '')}")
