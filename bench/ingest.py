"""Webhook ingest throughput: Ponte's /webhooks/<uid> vs a bare Flask 200, under the same server.

    .venv/bin/python -m bench.ingest --requests 3000 --clients 8

Each side is spawned as a subprocess on a free loopback port (gunicorn, 1 worker x 8 threads as
``make run``; werkzeug threaded when gunicorn is missing), with SQLite in a temporary folder and the
embedded worker off, so only ingest is measured: authenticate, bound, parse, insert, commit, 200.
Every request carries a unique Asaas event id; the run stops at --requests or --seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
TOKEN = "bench-token-Zq8vXw2LpR6tYh4NmK0sJd9FgB7cVaE"  # meets the Asaas rules
API_KEY = "$aact_hmlg_bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(target: str, port: int, threads: int) -> tuple[list[str], str]:
    gunicorn = VENV_BIN / "gunicorn"
    if gunicorn.exists():
        return [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", str(threads),
                "--log-level", "warning", target], f"gunicorn (1 worker x {threads} threads)"
    module, _, attr = target.partition(":")
    code = ("import importlib; from werkzeug.serving import run_simple; "
            f"run_simple('127.0.0.1', {port}, getattr(importlib.import_module('{module}'), '{attr}'), threaded=True)")
    return [sys.executable, "-c", code], "werkzeug (threaded)"


def flask_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def prepare_ponte(workdir: Path) -> tuple[dict[str, str], str]:
    """Migrate a fresh SQLite database and create an asaas connection; returns (env, webhook uid)."""
    env = {**os.environ, "PONTE_ENV": "development", "PONTE_INSTANCE_PATH": str(workdir / "instance"),
           "DATABASE_URL": f"sqlite:///{workdir / 'ponte.db'}", "EMBEDDED_WORKER": "false",
           "APPLY_RECIPE_FILES_ON_START": "false", "LOG_LEVEL": "warning"}
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "connections", "create", "--connector", "asaas", "--name", "asaas",
              "--set", f"api_key={API_KEY}", "--set", f"webhook_token={TOKEN}")
    [connection] = json.loads(flask_cli(env, "connections", "list", "--json"))
    return env, connection["uid"]


def wait_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except (requests.ConnectionError, requests.Timeout):  # booting: refused, or accepted but not answering yet
            time.sleep(0.1)
    raise SystemExit(f"server at {url} did not start")


def envelope() -> bytes:
    return json.dumps({"id": f"evt_{uuid.uuid4().hex}&1", "event": "PAYMENT_CREATED",
                       "dateCreated": "2025-03-01 10:00:00",
                       "payment": {"id": f"pay_{uuid.uuid4().hex[:16]}", "customer": "cus_1", "value": 450.0,
                                   "billingType": "BOLETO", "status": "PENDING", "dueDate": "2025-03-10"}}).encode()


def fire(url: str, total: int, clients: int, seconds: float) -> dict[str, Any]:
    """``total`` POSTs from ``clients`` threads (keep-alive sessions), stopping early after ``seconds``."""
    lock = threading.Lock()
    state = {"left": total, "ok": 0, "failed": 0}
    deadline = time.monotonic() + seconds
    headers = {"asaas-access-token": TOKEN, "Content-Type": "application/json"}

    def client() -> None:
        session = requests.Session()
        while time.monotonic() < deadline:
            with lock:
                if state["left"] <= 0:
                    return
                state["left"] -= 1
            response = session.post(url, data=envelope(), headers=headers, timeout=10)
            with lock:
                state["ok" if response.status_code == 200 else "failed"] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    sent = state["ok"] + state["failed"]
    return {"sent": sent, "ok": state["ok"], "failed": state["failed"], "seconds": round(elapsed, 2),
            "rps": round(sent / elapsed, 1)}


def run_side(target: str, env: dict[str, str], uid: str, args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    port = free_port()
    command, server = server_command(target, port, args.threads)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_up(f"http://127.0.0.1:{port}/", process)
        url = f"http://127.0.0.1:{port}/webhooks/{uid}"
        fire(url, min(50, args.requests), args.clients, args.seconds)  # warm up
        return fire(url, args.requests, args.clients, args.seconds), server
    finally:
        process.terminate()
        process.wait(timeout=10)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8, help="Server threads (both sides).")
    parser.add_argument("--seconds", type=float, default=60, help="Stop each side after this long.")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="ponte-bench-ingest-"))
    try:
        env, uid = prepare_ponte(workdir)
        ponte, server = run_side("wsgi:app", env, uid, args)
        bare, _ = run_side("bench.bare_app:app", env, uid, args)
        with sqlite3.connect(workdir / "ponte.db") as db:
            stored = db.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {"server": server, "clients": args.clients, "ponte": ponte, "bare": bare, "events_stored": stored,
              "ratio": round(ponte["rps"] / bare["rps"], 2) if bare["rps"] else None}
    print(f"server: {server}, {args.clients} client threads, SQLite (WAL)")
    print(f"ponte /webhooks: {ponte['rps']} req/s ({ponte['ok']} ok, {ponte['failed']} failed, {ponte['seconds']} s)")
    print(f"bare Flask 200:  {bare['rps']} req/s ({bare['ok']} ok, {bare['failed']} failed, {bare['seconds']} s)")
    print(f"ratio ponte/bare: {result['ratio']}  events stored: {stored}")
    return result


if __name__ == "__main__":
    main()
