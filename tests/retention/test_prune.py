"""Retention: old history goes in batches, what a kept run needs stays, SQLite gives the space back."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.db import get_db, get_session
from app.models import Connection, Event, Recipe, Run, Step, WebhookDelivery, utcnow
from app.retention import file_size, prune

OLD, NEW = timedelta(days=40), timedelta(days=1)


@dataclass
class Seeded:
    old_run: int
    old_replayed_run: int
    new_replay: int
    stuck_run: int
    kept_event: int
    old_event: int
    pending_event: int
    new_event: int


def _seed(app: Flask, *, filler: int = 0, payload_kb: int = 1) -> Seeded:
    """Old and new runs, events and deliveries; ``filler`` extra old runs with big payloads."""
    body = {"blob": "x" * (payload_kb * 1024)}
    with app.app_context():
        session = get_session()
        connection = Connection(connector_key="asaas", name="asaas", settings={})
        session.add(connection)
        session.flush()
        recipe = Recipe(key="r", name="R", trigger_key="asaas.payment_created", trigger_connection_id=connection.id)
        session.add(recipe)
        session.flush()

        def event(key: str, age: timedelta, dispatched: bool = True) -> Event:
            row = Event(connection_id=connection.id, dedupe_key=key, event_type="PAYMENT_CREATED", payload=body,
                        received_at=utcnow() - age, dispatched_at=utcnow() - age if dispatched else None)
            session.add(row)
            session.flush()
            return row

        def run(ev: Event | None, age: timedelta, status: str = "succeeded", replay_of: int | None = None) -> Run:
            row = Run(recipe_id=recipe.id, recipe_version=1, event_id=ev.id if ev else None, status=status,
                      created_at=utcnow() - age, replay_of_id=replay_of, trigger_output=body)
            session.add(row)
            session.flush()
            session.add(Step(run_id=row.id, position=0, key="trigger", action_key="a.b", status="succeeded",
                             idempotency_key=f"k-{row.id}", output=body))
            return row

        old_event = event("old", OLD)
        old_run = run(old_event, OLD)
        kept_event = event("kept", OLD)  # old, but a new run still points at it
        old_replayed = run(kept_event, OLD, "failed")
        new_replay = run(kept_event, NEW, "succeeded", replay_of=old_replayed.id)
        stuck = run(event("stuck", OLD), OLD, "retrying")
        pending = event("pending", OLD, dispatched=False)
        new_event = event("new", NEW)
        run(new_event, NEW)
        for n in range(filler):
            run(event(f"filler-{n}", OLD), OLD)
        session.add(WebhookDelivery(connection_id=connection.id, status_code=400, reason="old",
                                    received_at=utcnow() - OLD))
        session.add(WebhookDelivery(connection_id=connection.id, status_code=400, reason="new",
                                    received_at=utcnow() - NEW))
        session.commit()
        return Seeded(old_run.id, old_replayed.id, new_replay.id, stuck.id, kept_event.id, old_event.id,
                      pending.id, new_event.id)


def _ids(app: Flask, model: type) -> set[int]:
    with app.app_context():
        return set(get_session().scalars(select(model.id)))


def _check_kept_and_removed(app: Flask, seeded: Seeded) -> None:
    runs, events = _ids(app, Run), _ids(app, Event)
    assert seeded.old_run not in runs and seeded.old_replayed_run not in runs
    assert {seeded.new_replay, seeded.stuck_run} <= runs and len(runs) == 3
    assert seeded.old_event not in events
    assert {seeded.kept_event, seeded.pending_event, seeded.new_event} <= events
    with app.app_context():
        session = get_session()
        assert session.get(Run, seeded.new_replay).replay_of_id is None
        assert session.scalar(select(func.count()).select_from(Step)) == 3
        assert list(session.scalars(select(WebhookDelivery.reason))) == ["new"]


def test_prune_removes_old_history_and_keeps_what_kept_runs_need(sqlite_app: Flask) -> None:
    seeded = _seed(sqlite_app, filler=7)
    with sqlite_app.app_context():
        report = prune(get_session(), days=30, batch_size=3)
    assert (report.runs, report.steps, report.deliveries) == (9, 9, 1)
    assert report.events == 8  # old + 7 fillers; kept (referenced), stuck's and pending stay
    _check_kept_and_removed(sqlite_app, seeded)


def test_sqlite_file_shrinks_after_prune(sqlite_app: Flask) -> None:
    _seed(sqlite_app, filler=150, payload_kb=8)
    path = sqlite_app.config["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite_app.app_context():
        before = file_size(path)
        report = prune(get_session(), days=30)
    assert report.size_before == before and report.size_after is not None
    assert os.path.getsize(path) == report.size_after  # the WAL was checkpointed and truncated
    assert report.size_after < before / 3



def test_no_compact_gives_no_space_back(sqlite_app: Flask) -> None:
    """Free pages are returned after each batch, unless the prune is told not to compact."""
    _seed(sqlite_app, filler=150, payload_kb=8)
    with sqlite_app.app_context():
        report = prune(get_session(), days=30, batch_size=7, compact=False)
        free = int(get_session().connection().exec_driver_sql("PRAGMA freelist_count").scalar())
    assert report.runs == 152 and free > 100  # deleted, the pages kept as free pages


def test_space_goes_back_batch_by_batch(sqlite_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """By the end of the deleting nothing is left for the final compaction: each batch gave its pages back."""
    from app import retention

    _seed(sqlite_app, filler=150, payload_kb=8)
    left: list[int] = []
    compact = retention.compact_sqlite

    def counting(session: Any, *args: Any, **kwargs: Any) -> None:
        left.append(int(session.connection().exec_driver_sql("PRAGMA freelist_count").scalar()))
        compact(session, *args, **kwargs)

    monkeypatch.setattr(retention, "compact_sqlite", counting)
    with sqlite_app.app_context():
        report = prune(get_session(), days=30, batch_size=7)
        free = int(get_session().connection().exec_driver_sql("PRAGMA freelist_count").scalar())
    assert report.runs == 152 and free == 0
    assert left and left[0] < 20  # a few pages freed by the events and deliveries phases at most


def _auto_vacuum(app: Flask) -> int:
    with app.app_context():
        return int(get_session().connection().exec_driver_sql("PRAGMA auto_vacuum").scalar())


def test_a_new_sqlite_database_gives_space_back_incrementally_and_an_old_one_is_converted_once(
        sqlite_app: Flask) -> None:
    """No long exclusive VACUUM on every prune: the file is on auto_vacuum=INCREMENTAL."""
    assert _auto_vacuum(sqlite_app) == 2  # created by the app: incremental from the start
    path = sqlite_app.config["DATABASE_URL"].removeprefix("sqlite:///")
    import sqlite3

    get_db(sqlite_app).dispose()
    with sqlite3.connect(path) as db:  # what a database from before this change looks like
        db.execute("PRAGMA auto_vacuum = NONE")
        db.execute("VACUUM")
    assert _auto_vacuum(sqlite_app) == 0
    _seed(sqlite_app, filler=100, payload_kb=8)
    with sqlite_app.app_context():
        first = prune(get_session(), days=30)
    assert _auto_vacuum(sqlite_app) == 2 and first.size_after is not None and first.size_before is not None
    assert first.size_after < first.size_before / 3
    with sqlite_app.app_context():  # a second prune: now incremental, no full VACUUM
        session = get_session()
        session.add_all(WebhookDelivery(status_code=401, reason="old", body_excerpt="y" * 8192,
                                        received_at=utcnow() - OLD) for _ in range(300))
        session.commit()
        second = prune(get_session(), days=30)
        free = get_session().connection().exec_driver_sql("PRAGMA freelist_count").scalar()
    assert second.size_after is not None and second.size_before is not None
    assert second.size_after < second.size_before / 3 and free == 0


def test_prune_refuses_less_than_one_day(sqlite_app: Flask) -> None:
    with sqlite_app.app_context(), pytest.raises(ValueError, match="at least 1 day"):
        prune(get_session(), days=0)


def test_runs_prune_command_uses_retention_days_and_days_override(sqlite_app: Flask) -> None:
    seeded = _seed(sqlite_app)
    runner = sqlite_app.test_cli_runner()
    longer = runner.invoke(args=["runs", "prune", "--days", "60"])
    assert longer.exit_code == 0, longer.output
    assert "(60 days): 0 run(s)" in longer.output
    default = runner.invoke(args=["runs", "prune"])
    assert default.exit_code == 0, default.output
    assert "(30 days): 2 run(s), 2 step(s), 1 event(s), 1 webhook delivery(ies)" in default.output
    assert "SQLite file:" in default.output
    _check_kept_and_removed(sqlite_app, seeded)
    bad = runner.invoke(args=["runs", "prune", "--days", "0"])
    assert bad.exit_code == 2


@pytest.mark.postgres
def test_prune_on_postgresql(pg_app: Flask) -> None:
    seeded = _seed(pg_app, filler=4)
    with pg_app.app_context():
        report = prune(get_session(), days=30, batch_size=2)
    assert (report.runs, report.events, report.size_before) == (6, 5, None)
    _check_kept_and_removed(pg_app, seeded)
