"""Claims: queued runs before due retries, a single-run claim for queue messages, SKIP LOCKED on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, text

from app import metrics
from app.db import get_db, get_session
from app.engine.claims import claim_run, claim_runs, ready_runs
from app.models import Connection, Recipe, Run, utcnow


def _recipe(app: Flask) -> int:
    with app.app_context():
        session = get_session()
        connection = Connection(connector_key="asaas", name="asaas", settings={})
        session.add(connection)
        session.flush()
        recipe = Recipe(key="r", name="r", trigger_key="asaas.payment_created",
                        trigger_connection_id=connection.id, definition={})
        session.add(recipe)
        session.commit()
        return recipe.id


def _run(app: Flask, recipe_id: int, key: str, **fields) -> int:  # noqa: ANN003
    with app.app_context():
        session = get_session()
        run = Run(recipe_id=recipe_id, recipe_version=1, max_attempts=6, dedupe_key=key,
                  **{"status": "queued", "next_attempt_at": utcnow(), **fields})
        session.add(run)
        session.commit()
        return run.id


def test_a_new_run_is_claimed_before_an_older_due_retry(app: Flask) -> None:
    recipe = _recipe(app)
    retry = _run(app, recipe, "a", status="retrying", attempt=1, next_attempt_at=utcnow() - timedelta(minutes=5))
    fresh = _run(app, recipe, "b")
    with app.app_context():
        assert [run_id for run_id, _, _ in ready_runs(get_session(), 10)] == [fresh, retry]
        assert claim_runs(get_session(), "host:1:a", 1, 300) == [fresh]
        assert claim_runs(get_session(), "host:1:a", 1, 300) == [retry]


def test_a_message_for_one_run_claims_it_once(app: Flask) -> None:
    run_id = _run(app, _recipe(app), "a")
    with app.app_context():
        assert claim_run(get_session(), run_id, "host:1:a", 300) == 1
        assert claim_run(get_session(), run_id, "host:2:b", 300) is None  # the same message again
        assert get_session().get(Run, run_id).lease_owner == "host:1:a"


def test_a_retry_that_is_not_due_claims_nothing(app: Flask) -> None:
    run_id = _run(app, _recipe(app), "a", status="retrying", attempt=1,
                  next_attempt_at=utcnow() + timedelta(minutes=1))
    with app.app_context():
        assert claim_run(get_session(), run_id, "host:1:a", 300) is None
        assert ready_runs(get_session(), 10) == []


def test_a_run_whose_lease_expired_is_taken_over_and_counted(app: Flask) -> None:
    run_id = _run(app, _recipe(app), "a", status="running", attempt=1, lease_owner="gone:1:x",
                  lease_expires_at=utcnow() - timedelta(seconds=1))
    before = metrics.LEASE_RECOVERIES._value.get()
    with app.app_context():
        assert claim_run(get_session(), run_id, "host:1:a", 300) == 2
    assert metrics.LEASE_RECOVERIES._value.get() == before + 1


def test_claims_skip_rows_another_worker_has_locked(pg_url: str, app: Flask) -> None:
    # Another worker's transaction holds run `locked`; a claim must take the next run at once rather
    # than queue behind that lock. lock_timeout turns any wait into an error, so a claim that
    # waited would fail this test.
    recipe = _recipe(app)
    locked, free = _run(app, recipe, "a"), _run(app, recipe, "b")
    holder = get_db(app).engine.connect()
    try:
        holder.execute(text("BEGIN"))
        holder.execute(text("SELECT id FROM runs WHERE id = :id FOR UPDATE"), {"id": locked})
        with app.app_context():
            session = get_session()
            session.execute(text("SET lock_timeout = '3s'"))
            assert claim_runs(session, "host:1:a", 10, 300) == [free]
    finally:
        holder.rollback()
        holder.close()
    with app.app_context():
        statuses = dict(get_session().execute(select(Run.id, Run.status)).all())
    assert statuses == {locked: "queued", free: "running"}


@pytest.mark.parametrize("limit", [0])
def test_claiming_nothing_asks_nothing(app: Flask, limit: int) -> None:
    _run(app, _recipe(app), "a")
    with app.app_context():
        assert claim_runs(get_session(), "host:1:a", limit, 300) == []
