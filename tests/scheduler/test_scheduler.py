"""The scheduler fires in exactly one process at a time: a database lease, renewed and taken over."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy.orm import Session

from app.db import get_db
from app.models import SchedulerLock, utcnow
from app.scheduler import Scheduler, default_jobs, holder, try_acquire
from tests.collection.env import CollectionEnv


def _session(app: Flask) -> Session:
    return get_db(app).session_factory()


def _race(app: Flask, owners: list[str], lease: float = 60) -> list[str]:
    """Every owner tries to take the lease at the same instant; returns who got it."""
    barrier = threading.Barrier(len(owners))
    winners: list[str] = []

    def contend(owner: str) -> None:
        session = _session(app)
        try:
            barrier.wait()
            if try_acquire(session, owner, lease):
                winners.append(owner)
        finally:
            session.close()

    threads = [threading.Thread(target=contend, args=(o,)) for o in owners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return winners


def test_the_lease_is_held_renewed_and_taken_over_when_it_expires(app: Flask) -> None:
    session = _session(app)
    with time_machine.travel("2025-03-05T12:00:00Z", tick=False) as clock:
        assert try_acquire(session, "a", 60) and not try_acquire(session, "b", 60)
        clock.shift(50)
        assert try_acquire(session, "a", 60)  # renewed: good for 60 s more
        clock.shift(50)
        assert not try_acquire(session, "b", 60)
        clock.shift(11)  # "a" stopped renewing (crashed): its lease ran out
        assert try_acquire(session, "b", 60) and not try_acquire(session, "a", 60)
        assert holder(session).owner == "b"
    session.close()


def test_concurrent_contenders_on_sqlite_make_one_leader(app: Flask) -> None:
    assert len(_race(app, [f"worker-{n}" for n in range(6)])) == 1


def test_concurrent_contenders_on_postgresql_make_one_leader(pg_url: str, make_app: Callable[..., Flask]) -> None:
    app = make_app(DATABASE_URL=pg_url)
    engine = get_db(app).engine
    SchedulerLock.__table__.create(engine, checkfirst=True)
    try:
        for round_ in range(5):
            with engine.begin() as connection:
                connection.execute(SchedulerLock.__table__.delete())
            assert len(_race(app, [f"r{round_}-w{n}" for n in range(8)])) == 1
    finally:
        with engine.begin() as connection:
            connection.execute(SchedulerLock.__table__.delete())


def test_two_scheduler_processes_send_one_email_each_time(collection: CollectionEnv) -> None:
    other = Scheduler(collection.app, owner="second-process")
    collection.payment("2025-03-10")
    sent = {}
    for day in ("2025-03-05", "2025-03-06", "2025-03-10", "2025-03-11"):
        collection.at(day)
        barrier = threading.Barrier(2)
        fired: list[bool] = []

        def tick(scheduler: Scheduler, barrier: threading.Barrier, fired: list[bool]) -> None:
            barrier.wait()
            fired.append(scheduler.run_job("poll_triggers"))

        threads = [threading.Thread(target=tick, args=(s, barrier, fired)) for s in (collection.scheduler, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(fired) == [False, True]
        collection.run()
        sent[day] = len(collection.new_mail())
    assert sent == {"2025-03-05": 1, "2025-03-06": 0, "2025-03-10": 1, "2025-03-11": 1}


def test_a_non_leader_takes_over_when_the_leader_stops(collection: CollectionEnv) -> None:
    other = Scheduler(collection.app, owner="standby")
    collection.payment("2025-03-10")
    collection.at("2025-03-05")
    assert collection.poll() and not other.run_job("poll_triggers")
    collection.clock.shift(61)  # the leader died without releasing
    assert other.run_job("poll_triggers") and not collection.poll()
    collection.run()
    assert len(collection.new_mail()) == 1  # polled twice, by two processes: sent once


def test_the_background_scheduler_fires_jobs_and_releases_the_lease(app: Flask) -> None:
    calls = threading.Event()
    scheduler = Scheduler(app, owner="bg", lease_seconds=3, jobs={"probe": (lambda _a, _s: calls.set(), 0.2)})
    scheduler.start()
    try:
        assert calls.wait(10), "the probe job never ran"
    finally:
        scheduler.stop()
    session = _session(app)
    lock = holder(session)
    assert lock.owner == "bg" and lock.expires_at <= utcnow()  # released: another may take over at once
    session.close()


def test_a_failing_job_is_logged_and_the_next_one_still_runs(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    def boom(_app: Flask, _session: Session) -> None:
        raise RuntimeError("boom")

    scheduler = Scheduler(app, owner="x", jobs={"boom": (boom, 60), "ok": (lambda _a, _s: None, 60)})
    assert scheduler.run_job("boom") is False and "scheduler job boom failed" in caplog.text
    assert scheduler.run_job("ok") is True


def test_default_jobs_include_polling_schedules_alerts_and_daily_retention(app: Flask) -> None:
    jobs = default_jobs(app)
    assert set(jobs) == {"poll_triggers", "fire_schedules", "flush_alerts", "prune_history", "watch_webhooks",
                         "catch_up_webhooks"}
    assert jobs["fire_schedules"][1] == app.config["SCHEDULER_CLOCK_SECONDS"]
    assert jobs["prune_history"][1] == timedelta(days=1).total_seconds()
    assert jobs["poll_triggers"][1] == app.config["SCHEDULER_POLL_SECONDS"]


def test_cli_run_once_and_status(app: Flask) -> None:
    runner = app.test_cli_runner()
    assert "no scheduler has run yet" in runner.invoke(args=["scheduler", "status"]).output
    result = runner.invoke(args=["scheduler", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert "poll_triggers: ran" in result.output and "flush_alerts: ran" in result.output
    status = runner.invoke(args=["scheduler", "status"]).output
    assert "leader" in status and "lease active" in status


def test_a_lease_left_by_a_dead_process_of_this_host_is_freed_at_start(app: Flask) -> None:
    import socket
    import subprocess
    import sys

    from app.scheduler import release_dead_holder

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    session = _session(app)
    assert try_acquire(session, f"{socket.gethostname()}:{dead.stdout.strip()}:cafe", 60)
    assert release_dead_holder(session) and try_acquire(session, "next", 60)
    assert not release_dead_holder(session)  # "next" is not a host:pid owner
    session.close()


def test_an_exclusive_block_waits_for_the_holder_and_times_out_with_a_clear_error(app: Flask) -> None:
    import threading

    from app.db import get_db
    from app.engine import locks

    order: list[str] = []
    with app.app_context():
        bind = get_db(app).engine

        def second() -> None:
            with locks.exclusive(bind, "customer:52998224725", wait_seconds=10, poll_seconds=0.01):
                order.append("second")

        with locks.exclusive(bind, "customer:52998224725"):
            waiter = threading.Thread(target=second)
            waiter.start()
            waiter.join(timeout=0.3)
            assert waiter.is_alive()  # held: the second block waits
            order.append("first")
            with (pytest.raises(locks.LockTimeout, match="held by someone else"),
                  locks.exclusive(bind, "customer:52998224725", wait_seconds=0.05, poll_seconds=0.01)):
                pass
        waiter.join(timeout=10)
        assert order == ["first", "second"]
        long_name = "asaas-customer:" + "x" * 200
        assert len(locks.lock_name(long_name)) == locks.MAX_NAME
        assert locks.lock_name(long_name) == locks.lock_name(long_name)


def test_an_exclusive_block_longer_than_its_lease_keeps_it(app: Flask) -> None:
    import time

    from app.db import get_db
    from app.engine import locks

    with app.app_context():
        bind = get_db(app).engine
        with locks.exclusive(bind, "slow-customer", lease_seconds=1.0):
            time.sleep(2.5)  # longer than the lease: renewed meanwhile, so nobody else gets in
            with (pytest.raises(locks.LockTimeout),
                  locks.exclusive(bind, "slow-customer", wait_seconds=0.2, poll_seconds=0.02)):
                pass
        with locks.exclusive(bind, "slow-customer", wait_seconds=0.2):  # released at the end
            pass
