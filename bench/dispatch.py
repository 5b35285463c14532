"""Dispatch cost: one stored event to N enabled recipes on its trigger, and to none among many.

    .venv/bin/python -m bench.dispatch --recipes 10,100,1000 --others 10,10000 --events 20 --rounds 3

For each N, N recipes listen to ``asaas.payment_created`` on one connection and each fresh
PAYMENT_CREATED event is dispatched (``dispatch_event``: match, queue N runs, commit); the figure is
ms per event. "No match" puts 10 or 10,000 recipes on the same connection's other triggers and
dispatches an event none of them listens to; the two should cost the same. Sizes are measured in
interleaved rounds (each round visits every size), SQLite (WAL) in a temporary folder. CPU ms/event
(this process's ``process_time``) is printed too: on a busy machine the wall time is mostly the
commit's fsync, and the CPU figure is what a code change moves.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import delete

from app import create_app
from app.db import get_db, get_session
from app.engine.dispatch import dispatch_event
from app.models import Base, Connection, Event, Recipe, Run
from app.vault import generate_key


def _definition(key: str, trigger: str) -> dict[str, Any]:
    return {"key": key, "name": key, "trigger": {"connection": "asaas", "event": trigger},
            "steps": [{"key": "mail", "action": "email.send_email", "connection": "smtp",
                       "input": {"to": "a@example.com", "subject": "s", "body": "b"}}]}


def _setup(workdir: Path, name: str, on_trigger: int, elsewhere: int) -> Any:
    app = create_app({"DATABASE_URL": f"sqlite:///{workdir / f'{name}.db'}", "SECRET_KEY": "bench",
                      "PONTE_VAULT_KEYS": generate_key(), "INSTANCE_PATH": str(workdir / "instance"),
                      "EMBEDDED_WORKER": False, "APPLY_RECIPE_FILES_ON_START": False, "TESTING": True})
    Base.metadata.create_all(get_db(app).engine)
    others = ("asaas.payment_received", "asaas.payment_overdue", "asaas.payment_updated")
    with app.app_context():
        session = get_session()
        connection = Connection(connector_key="asaas", name="asaas", settings={})
        session.add(connection)
        session.flush()
        rows = [{"key": f"r{i}", "name": f"r{i}", "trigger_connection_id": connection.id,
                 "trigger_key": "asaas.payment_created", "definition": _definition(f"r{i}", "asaas.payment_created")}
                for i in range(on_trigger)]
        rows += [{"key": f"o{i}", "name": f"o{i}", "trigger_connection_id": connection.id,
                  "trigger_key": others[i % 3], "definition": _definition(f"o{i}", others[i % 3])}
                 for i in range(elsewhere)]
        if rows:
            session.execute(Recipe.__table__.insert(), rows)
        session.commit()
        app.config["BENCH_CONNECTION_ID"] = connection.id
    return app


def _dispatch(app: Any, events: int) -> tuple[float, float, int]:
    """ms per event over ``events`` fresh events, CPU ms per event (this process), and the runs queued."""
    with app.app_context():
        session = get_session()
        stored = [Event(connection_id=app.config["BENCH_CONNECTION_ID"], dedupe_key=uuid.uuid4().hex,
                        event_type="PAYMENT_CREATED",
                        # a payment id of its own: one change per event (the run key names the change)
                        payload={"event": "PAYMENT_CREATED", "payment": {"id": f"pay_{uuid.uuid4().hex}"}})
                  for _ in range(events)]
        session.add_all(stored)
        session.commit()
        runs = 0
        started, cpu = time.perf_counter(), time.process_time()
        for event in stored:
            runs += len(dispatch_event(session, event))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        session.execute(delete(Run))  # keep the table the same size from round to round
        session.commit()
    return elapsed / events * 1000, cpu / events * 1000, runs


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", default="10,100,1000", help="Recipes on the event's trigger (comma list).")
    parser.add_argument("--others", default="10,10000", help="Recipes on other triggers, for the no-match case.")
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="ponte-bench-dispatch-"))
    try:
        cases = {f"match {n}": (_setup(workdir, f"m{n}", int(n), 0), int(n)) for n in args.recipes.split(",")}
        cases |= {f"no match, {n} elsewhere": (_setup(workdir, f"o{n}", 0, int(n)), 0) for n in args.others.split(",")}
        timings: dict[str, list[float]] = {name: [] for name in cases}
        cpu: dict[str, list[float]] = {name: [] for name in cases}
        for app, _ in cases.values():
            _dispatch(app, 2)  # warm up
        for _ in range(args.rounds):
            for name, (app, expected) in cases.items():
                ms, cpu_ms, runs = _dispatch(app, args.events)
                if runs != expected * args.events:
                    raise SystemExit(f"{name}: {runs} runs queued, expected {expected * args.events}")
                timings[name].append(ms)
                cpu[name].append(cpu_ms)
        for app, _ in cases.values():
            get_db(app).dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {name: {"min": round(min(v), 2), "median": round(statistics.median(v), 2), "max": round(max(v), 2),
                     "cpu_median": round(statistics.median(cpu[name]), 2)} for name, v in timings.items()}
    for name, spread in result.items():
        print(f"{name:>28}: {spread['median']} ms/event (min {spread['min']}, max {spread['max']}); "
              f"CPU {spread['cpu_median']} ms/event")
    return result


if __name__ == "__main__":
    main()
