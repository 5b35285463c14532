"""Run list, filters and search at a million runs: latency p50/p95 of each page, one request at a time.

    .venv/bin/python -m bench.million_runs --runs 1000000 --out /tmp/ponte-1m/ponte.db   # once
    .venv/bin/python -m bench.run_pages --db /tmp/ponte-1m/ponte.db --requests 20 --rounds 3

Ponte runs under gunicorn (1 worker x 2 threads) on the generated database, embedded worker off.
Each round visits every case ``--requests`` times (rounds interleave the cases, so noise from other
work on the machine spreads over all of them); a case's figure is p50/p95 over every request, and
min/median/max of its per-round p95. The baseline is what search did before (a LIKE over the event
payload and trigger output cast to text), timed as bare SQL on the same file, once per round.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import requests

from bench.ingest import ROOT, VENV_BIN, free_port, wait_up

LIKE_BEFORE = ("SELECT runs.id FROM runs LEFT OUTER JOIN events ON events.id = runs.event_id "
               "WHERE CAST(events.payload AS VARCHAR) LIKE ? OR CAST(runs.trigger_output AS VARCHAR) LIKE ? "
               "ORDER BY runs.id DESC LIMIT 50")


def cases(samples: dict[str, str]) -> dict[str, str]:
    payment = samples.get("payment") or samples.get("external_id", "pay_")
    name = samples.get("customer_name") or samples.get("signer_name", "Silva")
    return {
        "api: list": "/api/runs",
        "api: status=failed": "/api/runs?status=failed",
        "api: recipe=signed_mail": "/api/runs?recipe=signed_mail",
        "api: status=failed&recipe": "/api/runs?status=failed&recipe=charge_to_contract",
        "api: ref=payment id": f"/api/runs?ref={payment}",
        "api: ref=e-mail": f"/api/runs?ref={samples.get('email', '')}",
        "api: ref=CPF": f"/api/runs?ref={samples.get('cpf_cnpj') or samples.get('cpf', '')}",
        "api: ref=full name": f"/api/runs?ref={name}",
        "page: /runs": "/runs",
        "page: status=failed": "/runs?status=failed",
        "page: recipe + status": "/runs?recipe=1&status=filtered",
        "page: period=24h": "/runs?period=24h",
        "page: page 200": "/runs?page=200",
        "page: q=payment id": f"/runs?q={payment}",
        "page: q=last name": f"/runs?q={name.split()[-1]}",
        "page: q=first + middle": f"/runs?q={' '.join(name.split()[:2])}",
    }


def _login(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"email": "bench@example.com", "password": "bench-password", "csrf_token": token.group(1) if token else ""}
    response = session.post(f"{base}/login", data=data, allow_redirects=False, timeout=30)
    if response.status_code != 302:
        raise SystemExit(f"login failed: {response.status_code}")
    return session


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/ponte-1m/ponte.db"))
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--only", help="Only the cases whose name contains this text.")
    args = parser.parse_args(argv)
    token = Path(f"{args.db}.token").read_text().strip()
    samples = json.loads(Path(f"{args.db}.samples.json").read_text())
    port = free_port()
    env = {**os.environ, "PONTE_ENV": "development", "DATABASE_URL": f"sqlite:///{args.db}",
           "SECRET_KEY": "bench-run-pages", "PONTE_INSTANCE_PATH": str(args.db.parent / "instance"),
           "EMBEDDED_WORKER": "false", "EMBEDDED_SCHEDULER": "false", "APPLY_RECIPE_FILES_ON_START": "false",
           "LOG_LEVEL": "warning"}
    command = [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2",
               "--log-level", "warning", "wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    timings: dict[str, list[list[float]]] = {}
    try:
        wait_up(f"{base}/login", server, timeout=60)
        web = _login(base)
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        plan = {k: v for k, v in cases(samples).items() if not args.only or args.only in k}
        for name, path in plan.items():  # warm up, and check each answers
            response = (api if path.startswith("/api") else web).get(base + path, timeout=60)
            if response.status_code != 200:
                raise SystemExit(f"{name}: {path} answered {response.status_code}")
        for _ in range(args.rounds):
            for name, path in plan.items():
                client = api if path.startswith("/api") else web
                seen = []
                for _ in range(args.requests):
                    started = time.perf_counter()
                    client.get(base + path, timeout=60).raise_for_status()
                    seen.append((time.perf_counter() - started) * 1000)
                timings.setdefault(name, []).append(seen)
            if args.baseline:
                with sqlite3.connect(args.db) as db:
                    pattern = f"%{samples.get('payment') or samples.get('document')}%"
                    started = time.perf_counter()
                    db.execute(LIKE_BEFORE, (pattern, pattern)).fetchall()
                    timings.setdefault("before: LIKE search (SQL only)", []).append(
                        [(time.perf_counter() - started) * 1000])
    finally:
        server.terminate()
        server.wait(timeout=10)
    result: dict[str, Any] = {}
    for name, rounds in timings.items():
        every = [t for r in rounds for t in r]
        per_round = [_pct(r, 0.95) for r in rounds]
        result[name] = {"p50": round(_pct(every, 0.5), 1), "p95": round(_pct(every, 0.95), 1),
                        "p95_min": round(min(per_round), 1), "p95_median": round(statistics.median(per_round), 1),
                        "p95_max": round(max(per_round), 1), "n": len(every)}
    for name, r in result.items():
        print(f"{name:>32}: p50 {r['p50']:>7} ms  p95 {r['p95']:>7} ms  (round p95 min {r['p95_min']}, "
              f"median {r['p95_median']}, max {r['p95_max']}; n={r['n']})")
    return result


if __name__ == "__main__":
    main()
