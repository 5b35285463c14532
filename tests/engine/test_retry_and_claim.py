"""Retry timing and run claiming: the two rules that keep retries polite and runs single."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from app.db import get_session
from app.engine.executor import claim_runs
from app.engine.retry import RetryPolicy
from app.models import Connection, Recipe, Run, utcnow


def test_delays_grow_exponentially_with_jitter_and_are_capped() -> None:
    policy = RetryPolicy(base_delay_seconds=60, max_delay_seconds=7200)
    for attempt, ceiling in [(1, 60), (2, 240), (3, 960), (4, 3840), (5, 7200), (9, 7200)]:
        waits = [policy.delay(attempt) for _ in range(50)]
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(set(waits)) > 1  # jittered


def test_the_services_retry_after_is_a_floor_and_scales_with_the_policy() -> None:
    assert RetryPolicy().delay(1, retry_after=600) >= 600
    assert RetryPolicy.from_dict({}, scale=0.01).delay(1, retry_after=600) == 6.0


def test_max_attempts_counts_the_first_try() -> None:
    policy = RetryPolicy.from_dict({"max_attempts": 3})
    assert not policy.exhausted(2) and policy.exhausted(3)


def _run(app: Flask, **fields) -> int:  # noqa: ANN003
    with app.app_context():
        session = get_session()
        connection = Connection(connector_key="asaas", name=f"c{utcnow().timestamp()}", settings={})
        session.add(connection)
        session.flush()
        recipe = Recipe(key=f"r{connection.id}", name="r", trigger_key="asaas.payment_created",
                        trigger_connection_id=connection.id, definition={})
        session.add(recipe)
        session.flush()
        run = Run(recipe_id=recipe.id, recipe_version=1, max_attempts=6,
                  **{"status": "queued", "next_attempt_at": utcnow(), **fields})
        session.add(run)
        session.commit()
        return run.id


def test_a_run_is_claimed_by_one_owner_only(app: Flask) -> None:
    run_id = _run(app)
    with app.app_context():
        first = claim_runs(get_session(), "host:1:a", 10, 300)
        second = claim_runs(get_session(), "host:2:b", 10, 300)
        run = get_session().get(Run, run_id)
        assert first == [run_id] and second == []
        assert run.status == "running" and run.lease_owner == "host:1:a" and run.attempt == 1


def test_a_run_whose_lease_expired_is_reclaimed(app: Flask) -> None:
    run_id = _run(app, status="running", lease_owner="host:1:a", lease_expires_at=utcnow() - timedelta(seconds=1))
    with app.app_context():
        assert claim_runs(get_session(), "host:2:b", 10, 300) == [run_id]


def test_a_retrying_run_waits_for_its_time(app: Flask) -> None:
    run_id = _run(app, status="retrying")
    with app.app_context():
        session = get_session()
        session.get(Run, run_id).next_attempt_at = utcnow() + timedelta(minutes=5)
        session.commit()
        assert claim_runs(session, "host:1:a", 10, 300) == []
        assert session.scalar(select(Run.status).where(Run.id == run_id)) == "retrying"


def test_dead_lease_recovery_matches_this_host_literally(app: Flask, monkeypatch) -> None:  # noqa: ANN001
    from app.engine import executor

    monkeypatch.setattr(executor.socket, "gethostname", lambda: "web_1")
    monkeypatch.setattr(executor, "process_alive", lambda pid: False)
    expires = utcnow() + timedelta(minutes=5)
    other_host = _run(app, status="running", lease_owner="webX1:4242:a", lease_expires_at=expires)
    this_host = _run(app, status="running", lease_owner="web_1:4242:b", lease_expires_at=expires)
    with app.app_context():
        session = get_session()
        assert executor.release_dead_leases(session) == 1  # "_" is not a LIKE wildcard here
        assert claim_runs(session, "web_1:1:c", 10, 300) == [this_host]
        assert session.get(Run, other_host).lease_owner == "webX1:4242:a"


def test_an_event_that_cannot_be_dispatched_does_not_hold_back_the_others(app: Flask, monkeypatch) -> None:  # noqa: ANN001
    from app.engine import dispatch
    from app.models import Event

    with app.app_context():
        session = get_session()
        connection = Connection(connector_key="asaas", name="c-dispatch", settings={})
        session.add(connection)
        session.flush()
        events = [Event(connection_id=connection.id, dedupe_key=f"evt_{n}", event_type="PAYMENT_CREATED",
                        payload={"n": n}) for n in range(3)]
        session.add_all(events)
        session.commit()
        ids = [e.id for e in events]
    real = dispatch.dispatch_event

    def flaky(session, event):  # noqa: ANN001, ANN202
        if event.id == ids[0]:
            raise RuntimeError("poison")
        return real(session, event)

    monkeypatch.setattr(dispatch, "dispatch_event", flaky)
    with app.app_context():
        session = get_session()
        assert dispatch.dispatch_pending(session) == 3
        pending = session.scalars(select(Event.id).where(Event.dispatched_at.is_(None))).all()
        assert pending == [ids[0]]  # kept for the next tick, the others went through
