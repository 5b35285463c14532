"""PostgreSQL NOTIFY wakes an executor in another process at once, instead of at its next poll."""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import create_engine, select

from app.db import get_session
from app.engine.executor import EmbeddedExecutor
from app.engine.wakeup import Notifier
from app.models import Run
from tests.engine.test_celery_executor import _event, _mail_recipe, smtp  # noqa: F401 - the smtp fixture
from tests.smtp_server import SmtpServer


def test_a_notify_from_another_process_wakes_an_idle_executor(pg_url: str, app: Flask, smtp: SmtpServer) -> None:  # noqa: F811
    recipe_id = _mail_recipe(app, smtp)
    # An hour between polls: after its first idle look, only a wake-up can make this executor work.
    executor = EmbeddedExecutor(app, workers=1, poll_interval=3600)
    executor.start()
    try:
        time.sleep(1.0)  # let the loop go idle and the listener connect (not a measurement)
        _event(app, recipe_id, "2025-03-10T15:00:00+00:00")
        web = create_engine(pg_url)  # "another process": its own engine, no executor of its own
        Notifier(web).notify()
        web.dispose()
        deadline = time.monotonic() + 60
        while True:
            with app.app_context():
                run = get_session().scalar(select(Run))
                status = run.status if run else None
            if status == "succeeded":
                break
            assert time.monotonic() < deadline, f"not woken: run {status}"
            time.sleep(0.1)
    finally:
        executor.stop()
    assert len(smtp.messages) == 1


def test_announcing_on_sqlite_is_a_no_op(app: Flask) -> None:
    from app.db import get_db

    Notifier(get_db(app).engine).notify()  # no channel, no error
