"""The Celery backend's tasks and sweep, in this process (the broker is Celery's in-memory transport).

What goes through a real Redis, real worker processes and a SIGKILL is tests/scale/test_scale_out.py;
here each rule is pinned alone: a message delivered twice executes once, retries are re-sent by the
sweep only when due, a queued run whose message is still in the queue is not sent again, and only
the sweep's leader sweeps.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.db import get_session
from app.engine.celery_executor import CeleryExecutor, Worker, make_celery
from app.engine.recipes import save_recipe
from app.models import Connection, Event, Run, utcnow
from tests.smtp_server import SmtpServer


class RecordingWorker(Worker):
    """The real worker; the messages it would send to the broker are kept in ``sent`` instead."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[int] = []
        self.backlog = 0

    def send_runs(self, run_ids: list[int]) -> None:
        self.sent.extend(run_ids)

    def queue_length(self) -> int:
        return self.backlog


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def _worker(app: Flask, **config: Any) -> RecordingWorker:
    settings = {key: app.config[key] for key in ("DATABASE_URL", "PONTE_VAULT_KEYS")}
    return RecordingWorker(make_celery({"CELERY_BROKER_URL": "memory://"}),
                           {**settings, "RUN_LEASE_SECONDS": 300, "CELERY_SWEEP_SECONDS": 1.0, **config})


def _mail_recipe(app: Flask, smtp: SmtpServer) -> int:
    with app.app_context():
        session = get_session()
        mail = Connection(connector_key="email", name="email", settings={
            "host": "127.0.0.1", "port": smtp.port, "security": "none", "from_address": "ponte@example.com",
            "timeout_seconds": 5})
        mail.set_credentials({})
        session.add(mail)
        session.commit()
        result = save_recipe(session, {
            "key": "hourly", "name": "Hourly", "trigger": {"event": "schedule.cron", "options": {"every": "1h"}},
            "steps": [{"key": "email", "action": "email.send_email", "connection": "email", "input": {
                "to": "financeiro@example.com", "subject": {"text": "Hora {{ time }}"}, "text": {"text": "ok"}}}]},
            source="file")
        assert not result.errors, result.errors
        return result.recipe.id


def _event(app: Flask, recipe_id: int, when: str) -> None:
    with app.app_context():
        session = get_session()
        session.add(Event(connection_id=None, recipe_id=recipe_id, source="schedule", dedupe_key=when,
                          event_type="SCHEDULE_FIRED", payload={"fired_at": when, "time": when[11:16],
                                                                "date": when[:10], "schedule": "1h"}))
        session.commit()


def test_a_run_message_delivered_twice_sends_one_email(app: Flask, smtp: SmtpServer) -> None:
    _event(app, _mail_recipe(app, smtp), "2025-03-10T12:00:00+00:00")
    worker = _worker(app)
    assert worker.dispatch() == 1
    [run_id] = worker.sent
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(worker.run(run_id))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["not claimable", "succeeded"]
    assert worker.run(run_id) == "not claimable"  # and once more, after it finished
    assert len(smtp.messages) == 1
    assert smtp.messages[0].message["Subject"] == "Hora 12:00"


def test_the_sweep_sends_a_retry_once_it_is_due_and_not_again_while_it_waits(app: Flask, smtp: SmtpServer) -> None:
    recipe_id = _mail_recipe(app, smtp)
    with app.app_context():
        session = get_session()
        later = Run(recipe_id=recipe_id, recipe_version=1, dedupe_key="later", status="retrying", attempt=1,
                    max_attempts=6, next_attempt_at=utcnow() + timedelta(minutes=5))
        due = Run(recipe_id=recipe_id, recipe_version=1, dedupe_key="due", status="retrying", attempt=1,
                  max_attempts=6, next_attempt_at=utcnow() - timedelta(seconds=1))
        session.add_all([later, due])
        session.commit()
        later_id, due_id = later.id, due.id
    worker = _worker(app)
    assert worker.sweep() == 1
    assert worker.sent == [due_id]
    assert worker.sweep() == 0  # sent for this claim number a moment ago: not again
    with app.app_context():
        session = get_session()
        session.get(Run, later_id).next_attempt_at = utcnow() - timedelta(seconds=1)
        session.commit()
    worker.sweep()
    assert worker.sent == [due_id, later_id]


def test_the_sweep_leaves_queued_runs_to_the_messages_still_in_the_queue(app: Flask, smtp: SmtpServer) -> None:
    _event(app, _mail_recipe(app, smtp), "2025-03-10T13:00:00+00:00")
    worker = _worker(app)
    worker.backlog = 3
    worker.sweep()  # dispatches the event: its run's message is sent once, by the dispatch
    [run_id] = worker.sent
    worker.sweep()
    assert worker.sent == [run_id]
    worker.backlog = 0  # the queue is empty, but the message went out a moment ago: a worker may hold it
    worker.sweep()
    assert worker.sent == [run_id]
    worker._sent = {k: (attempt, at - 60) for k, (attempt, at) in worker._sent.items()}  # a minute later
    worker.sweep()  # still queued, nothing in the queue: its message was lost
    assert worker.sent == [run_id, run_id]


def test_only_the_sweep_leader_sweeps(app: Flask, smtp: SmtpServer) -> None:
    recipe_id = _mail_recipe(app, smtp)
    with app.app_context():
        session = get_session()
        session.add(Run(recipe_id=recipe_id, recipe_version=1, dedupe_key="due", status="retrying", attempt=1,
                        max_attempts=6, next_attempt_at=utcnow()))
        session.commit()
    leader, other = _worker(app), _worker(app)
    assert leader.sweep() == 1
    assert other.sweep() == 0 and other.sent == []


def test_the_web_side_announces_work_and_survives_a_broker_that_is_down(app: Flask) -> None:
    broken = CeleryExecutor(make_celery({"CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}))
    broken.notify()  # logs, never raises: the events are stored already
    celery = make_celery({"CELERY_BROKER_URL": "memory://"})
    CeleryExecutor(celery).notify()
    with celery.connection_for_read() as connection:
        message = connection.SimpleQueue("ponte").get(timeout=5)
    assert message.headers["task"] == "ponte.dispatch"
    message.ack()


def test_a_stored_event_dispatched_twice_makes_one_run(app: Flask, smtp: SmtpServer) -> None:
    _event(app, _mail_recipe(app, smtp), "2025-03-10T14:00:00+00:00")
    first, second = _worker(app), _worker(app)
    assert first.dispatch() + second.dispatch() == 1
    with app.app_context():
        assert len(get_session().scalars(select(Run)).all()) == 1


def test_the_celery_worker_builds_its_engine_without_flask(tmp_path, vault_key: str) -> None:  # noqa: ANN001
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = ("import json, sys\nimport celery_app\nruntime = celery_app.worker.runtime()\n"
              "print(json.dumps({'owner': runtime.owner, 'backend': runtime.database.backend,\n"
              "  'flask': sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'flask_login'))}))")
    env = {**os.environ, "PONTE_ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
           "PONTE_VAULT_KEYS": vault_key, "SECRET_KEY": "x" * 40, "CELERY_BROKER_URL": "memory://"}
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["flask"] == [] and result["backend"] == "sqlite"
    assert result["owner"].count(":") == 2  # host:pid:nonce, as release_dead_leases reads it
