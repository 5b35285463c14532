"""``flask runs prune`` on the million-run database, with a writer measuring how long it waits meanwhile.

    .venv/bin/python -m bench.million_runs --runs 1000000 --out /tmp/ponte-1m/ponte.db   # once
    .venv/bin/python -m bench.prune --db /tmp/ponte-1m/ponte.db --days 30

The database is copied first (the original stays for bench.run_pages). While the prune command
runs as a subprocess, a thread stands in for the webhook path: every 20 ms it inserts an event and
commits (``synchronous = FULL``, as Ponte does), and records how long that took; the longest wait
is how long the prune held the write lock at a stretch. Reported: the prune's wall time, what it
deleted, the file size before and after (space given back by incremental vacuum), and the writer's
p50/p99/max commit latency, and the largest the write-ahead log got.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from app.retention import file_size
from bench.ingest import ROOT, VENV_BIN


def _writer(path: Path, stop: threading.Event, waits: list[float], failures: list[int], wal: list[int]) -> None:
    db = sqlite3.connect(path, timeout=60)
    wal_path = Path(f"{path}-wal")
    db.execute("PRAGMA synchronous = FULL")
    n = 0
    while not stop.is_set():
        n += 1
        started = time.perf_counter()
        try:
            db.execute("INSERT INTO events (connection_id, dedupe_key, event_type, payload, received_at, source)"
                       " VALUES (1, ?, 'PAYMENT_CREATED', '{}', datetime('now'), 'webhook')", (f"prune-bench-{n}",))
            db.commit()
        except sqlite3.OperationalError:  # locked for longer than the 60 s timeout: a webhook would 503
            db.rollback()
            failures.append(n)
        waits.append((time.perf_counter() - started) * 1000)
        if wal_path.exists():
            wal[0] = max(wal[0], wal_path.stat().st_size)  # the WAL file's high-water mark
        stop.wait(0.02)
    db.close()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/ponte-1m/ponte.db"))
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--keep-copy", action="store_true")
    args = parser.parse_args(argv)
    copy = args.db.parent / "prune-copy" / "ponte.db"
    shutil.rmtree(copy.parent, ignore_errors=True)  # a stale -wal beside a fresh copy would corrupt it
    copy.parent.mkdir()
    with sqlite3.connect(args.db) as source:
        source.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(args.db, copy)
    with sqlite3.connect(copy) as db:
        runs_before = db.execute("SELECT count(*) FROM runs").fetchone()[0]
    size_before = file_size(copy)
    env = {**os.environ, "PONTE_ENV": "development", "DATABASE_URL": f"sqlite:///{copy}",
           "SECRET_KEY": "bench-prune", "PONTE_INSTANCE_PATH": str(copy.parent / "instance"),
           "EMBEDDED_WORKER": "false", "EMBEDDED_SCHEDULER": "false", "APPLY_RECIPE_FILES_ON_START": "false",
           "LOG_LEVEL": "warning"}
    stop, waits, failures, wal = threading.Event(), [], [], [0]
    writer = threading.Thread(target=_writer, args=(copy, stop, waits, failures, wal))
    writer.start()
    started = time.perf_counter()
    try:
        done = subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", "runs", "prune", "--days", str(args.days),
                               "--batch-size", str(args.batch_size)], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=3600)
    finally:
        seconds = time.perf_counter() - started
        stop.set()
        writer.join()
    if done.returncode != 0:
        raise SystemExit(f"prune failed: {done.stderr[-2000:]}")
    with sqlite3.connect(copy) as db:
        runs_after = db.execute("SELECT count(*) FROM runs").fetchone()[0]
        orphans = db.execute("SELECT count(*) FROM run_references WHERE run_id NOT IN (SELECT id FROM runs)"
                             ).fetchone()[0]
    ordered = sorted(waits)
    result = {"runs_before": runs_before, "runs_after": runs_after, "seconds": round(seconds, 1),
              "output": done.stdout.strip(), "size_before": size_before, "size_after": file_size(copy),
              "writer_commits": len(waits), "writer_p50_ms": round(statistics.median(ordered), 1),
              "writer_p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 1),
              "writer_max_ms": round(ordered[-1], 1), "writer_timeouts": len(failures),
              "orphan_references": orphans, "wal_max": wal[0]}
    if not args.keep_copy:
        shutil.rmtree(copy.parent, ignore_errors=True)
    print(f"prune of {runs_before - runs_after:,} of {runs_before:,} runs in {result['seconds']} s; "
          f"file {size_before:,} -> {result['size_after']:,} bytes; {orphans} orphan references; "
          f"WAL at most {wal[0]:,} bytes")
    print(f"  {result['output']}")
    print(f"  meanwhile {len(waits)} webhook-like commits: p50 {result['writer_p50_ms']} ms, "
          f"p99 {result['writer_p99_ms']} ms, max {result['writer_max_ms']} ms, {len(failures)} timed out (60 s)")
    return result


if __name__ == "__main__":
    main()
