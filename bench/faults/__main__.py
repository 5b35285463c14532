"""The fault battery at full size, run by hand; prints each scenario's figures as JSON.

    .venv/bin/python -m bench.faults                      # every scenario, SQLite in a temp folder
    .venv/bin/python -m bench.faults --db postgresql+psycopg://postgres@127.0.0.1:5432/ponte_bench
    .venv/bin/python -m bench.faults --only storm crash --scale 0.1

The database given with ``--db`` is WIPED (tables dropped and created) for each scenario. The
outage scenario runs only on PostgreSQL (a TCP proxy in front of it is cut). Exit status 1 when a
scenario broke a promise; its ``problems`` say which.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from . import fuzz, scenarios
from .stack import FaultStack, fresh_workdir
from .tcpproxy import TcpProxy

SCENARIOS = ("storm", "crash", "faults", "fuzz", "outage")


def run(name: str, db_url: str | None, workdir: Path, scale: float, retry_scale: float) -> dict[str, Any]:
    workdir = fresh_workdir(workdir, name)
    url = db_url or f"sqlite:///{workdir / 'ponte.db'}"
    n = lambda full: max(10, round(full * scale))  # noqa: E731
    proxy = None
    if name == "outage":
        parsed = make_url(url)
        proxy = TcpProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
    stack = FaultStack(url, workdir, retry_scale=retry_scale, proxy_port=proxy.port if proxy else None)
    started = time.monotonic()
    try:
        stack.start()
        if name == "storm":
            result = scenarios.duplicate_storm(stack, deliveries=n(2000), duplicates=0.25, senders=16)
        elif name == "crash":
            result = scenarios.crash(stack, events=n(1000), worker_kills=3, web_kills=1, send_seconds=60 * scale)
        elif name == "faults":
            result = scenarios.faulty_destinations(stack, events=n(500), rate=0.3)
        elif name == "fuzz":
            result = fuzz.fuzz(stack, count=n(10_000))
        else:
            assert proxy is not None
            result = scenarios.database_outage(stack, proxy, events=n(600), outage_seconds=20,
                                               send_seconds=max(30.0, 60 * scale))
    finally:
        stack.stop()
        if proxy is not None:
            proxy.close()
    return {"scenario": name, "database": make_url(url).get_backend_name(), "wall_seconds":
            round(time.monotonic() - started, 1), **result}


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description="Ponte's fault battery (bench/faults).")
    parser.add_argument("--db", default=None, help="database URL (WIPED); default: SQLite in a temp folder")
    parser.add_argument("--only", nargs="*", choices=SCENARIOS, default=None)
    parser.add_argument("--scale", type=float, default=1.0, help="shrink every N (0.1 = a tenth)")
    parser.add_argument("--retry-scale", type=float, default=0.2, help="RETRY_DELAY_SCALE of the workers")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    chosen = args.only or [s for s in SCENARIOS if s != "outage" or (args.db or "").startswith("postgres")]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ponte-faults-"))
    results = []
    for name in chosen:
        result = run(name, args.db, workdir, args.scale, args.retry_scale)
        print(json.dumps(result, ensure_ascii=False, default=str), flush=True)
        results.append(result)
    failed = [r["scenario"] for r in results if r["problems"]]
    print(f"# {len(results) - len(failed)}/{len(results)} scenarios held; logs under {workdir}", file=sys.stderr)
    if failed and argv is None:
        sys.exit(1)
    return results


if __name__ == "__main__":
    main()
