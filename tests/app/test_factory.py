from __future__ import annotations

from pathlib import Path

import pytest

import app.factory as app_package


def test_testing_never_starts_background_services(make_app, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(app_package, "start_background_services", calls.append)
    make_app(EMBEDDED_WORKER=True)
    assert calls == []


def test_serving_starts_background_services_unless_disabled(make_app, monkeypatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(app_package, "start_background_services", calls.append)
    served = make_app(TESTING=False, EMBEDDED_WORKER=True)  # no click context: like gunicorn
    assert calls == [served]
    make_app(TESTING=False, EMBEDDED_WORKER=False)
    assert calls == [served]


def test_cli_commands_other_than_run_do_not_start_them(make_app, monkeypatch: pytest.MonkeyPatch) -> None:
    import click

    calls: list[object] = []
    monkeypatch.setattr(app_package, "start_background_services", calls.append)
    with click.Context(click.Command("upgrade")):
        make_app(TESTING=False, EMBEDDED_WORKER=True)
    with click.Context(click.Command("run"), info_name="run") as ctx:
        ctx.params["reload"] = False
        make_app(TESTING=False, EMBEDDED_WORKER=True)
    assert len(calls) == 1


def test_importing_the_app_modules_starts_nothing() -> None:
    import subprocess
    import sys

    code = (
        "import threading, app, app.db, app.models, app.vault, app.logs, app.auth, app.cli, app.api; "
        "assert threading.active_count() == 1, threading.enumerate()"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(Path(__file__).parents[2]))
