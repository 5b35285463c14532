"""Webhook ingest throughput with wrk: Ponte's /webhooks/<uid> vs a bare Flask 200, same server, same rounds.

    .venv/bin/python -m bench.ingest --rounds 3 --seconds 10 --connections 16 --workers 4
    .venv/bin/python -m bench.ingest --workers 1 --threads 8          # make run's server
    .venv/bin/python -m bench.ingest --before HEAD~5                  # also the code at a git ref

Each side is a gunicorn subprocess on a free loopback port (``--workers`` sync workers, or one worker
with ``--threads``), SQLite (WAL) in a temporary folder, embedded worker off: only ingest is measured
(look up the connection, authenticate, bound, parse, insert, commit, 200), against two baselines
under the same server: a bare Flask 200 (``bench/bare_app.py``) and the least a durable endpoint
does (``bench/durable_app.py``: insert-or-ignore + commit). wrk (Debian package
``wrk``) drives it from a Lua script that gives every request a unique Asaas event id. Rounds
interleave the sides (ponte, bare, [before], ponte, bare, ...) so noise from other work on the
machine hits all of them; req/s and p99 are reported as min/median/max over rounds and the ratio
is of the medians. Afterwards every answered 200 must be a stored event (nothing lost, nothing
doubled), else the run fails. ``--requests`` (with a small ``--seconds``) is for the smoke test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
TOKEN = "bench-token-Zq8vXw2LpR6tYh4NmK0sJd9FgB7cVaE"  # meets the Asaas rules
API_KEY = "$aact_hmlg_bench"

LUA = """
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  prefix = args[1] .. "_" .. tostring(tid)
end
request = function()
  counter = counter + 1
  local n = prefix .. "_" .. counter
  local body = '{"id":"evt_' .. n .. '&1","event":"PAYMENT_CREATED","dateCreated":"2025-03-01 10:00:00",'
    .. '"payment":{"id":"pay_' .. n .. '","customer":"cus_1","value":450.0,"billingType":"BOLETO",'
    .. '"status":"PENDING","dueDate":"2025-03-10"}}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["asaas-access-token"] = "TOKEN"}, body)
end
""".replace("TOKEN", TOKEN)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def flask_cli(env: dict[str, str], root: Path, *args: str) -> str:
    done = subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def prepare_ponte(workdir: Path, root: Path = ROOT) -> tuple[dict[str, str], str]:
    """Migrate a fresh SQLite database and create an asaas connection; returns (env, webhook uid)."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PONTE_ENV": "development", "PONTE_INSTANCE_PATH": str(workdir / "instance"),
           "DATABASE_URL": f"sqlite:///{workdir / 'ponte.db'}", "EMBEDDED_WORKER": "false",
           "EMBEDDED_SCHEDULER": "false", "APPLY_RECIPE_FILES_ON_START": "false", "LOG_LEVEL": "warning"}
    flask_cli(env, root, "db", "upgrade")
    flask_cli(env, root, "connections", "create", "--connector", "asaas", "--name", "asaas",
              "--set", f"api_key={API_KEY}", "--set", f"webhook_token={TOKEN}")
    [connection] = json.loads(flask_cli(env, root, "connections", "list", "--json"))
    return env, connection["uid"]


def wait_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            requests.get(url, timeout=10)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


class Side:
    """One server under test: started once, hit by wrk once per round."""

    def __init__(self, name: str, target: str, root: Path, env: dict[str, str], uid: str,
                 args: argparse.Namespace, db: Path | None) -> None:
        self.name, self.db, self.port = name, db, free_port()
        shape = ["--workers", str(args.workers)] + (["--threads", str(args.threads)] if args.threads else [])
        command = [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", *shape,
                   "--log-level", "warning", target]
        if args.access_log:
            command[1:1] = ["--access-logfile", os.devnull]
        self.process = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}/webhooks/{uid}"
        self.rounds: list[dict[str, Any]] = []
        wait_up(f"http://127.0.0.1:{self.port}/", self.process)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def run_wrk(url: str, script: Path, tag: str, args: argparse.Namespace) -> dict[str, Any]:
    command = ["wrk", "-t", str(args.wrk_threads), "-c", str(args.connections), "-d", f"{args.seconds}s",
               "--latency", "-s", str(script), url, "--", tag]
    out = subprocess.run(command, capture_output=True, text=True, timeout=args.seconds + 60, check=True).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {"requests": total, "ok": total - int(non_2xx.group(1) if non_2xx else 0),
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
            "p99_ms": round(float(p99.group(1)) * scale[p99.group(2)], 1) if p99 else None}


def _spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def stored_events(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*), count(DISTINCT dedupe_key) FROM events").fetchone()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per side and round.")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes.")
    parser.add_argument("--threads", type=int, default=0, help="gunicorn threads per worker (0: sync workers).")
    parser.add_argument("--access-log", action="store_true", help="gunicorn access log on (to /dev/null).")
    parser.add_argument("--durable", action=argparse.BooleanOptionalAction, default=True,
                        help="Also measure bench/durable_app.py (insert-or-ignore + commit, nothing else).")
    parser.add_argument("--before", help="Also measure the code at this git ref (a copy in a temp folder).")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="ponte-bench-ingest-"))
    script = workdir / "ingest.lua"
    script.write_text(LUA)
    sides: list[Side] = []
    try:
        env, uid = prepare_ponte(workdir / "ponte")
        sides.append(Side("ponte", "wsgi:app", ROOT, env, uid, args, workdir / "ponte" / "ponte.db"))
        sides.append(Side("bare", "bench.bare_app:app", ROOT, env, uid, args, None))
        if args.durable:
            durable_env = {**env, "BENCH_DURABLE_DB": str(workdir / "durable.db")}
            sides.append(Side("durable", "bench.durable_app:app", ROOT, durable_env, uid, args, None))
        if args.before:
            old = workdir / "before-src"
            old.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before], capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
            old_env, old_uid = prepare_ponte(workdir / "before", old)
            sides.append(Side(f"before ({args.before})", "wsgi:app", old, old_env, old_uid, args,
                              workdir / "before" / "ponte.db"))
        for n in range(args.rounds):
            for side in sides:
                side.rounds.append(run_wrk(side.url, script, f"r{n}{side.port}", args))
        for side in sides:
            side.stop()
        result: dict[str, Any] = {"server": f"gunicorn {args.workers} worker(s)"
                                  + (f" x {args.threads} threads" if args.threads else " (sync)"),
                                  "wrk": f"-t{args.wrk_threads} -c{args.connections} -d{args.seconds}s",
                                  "rounds": args.rounds}
        for side in sides:
            entry: dict[str, Any] = {"rps": _spread([r["rps"] for r in side.rounds]),
                                     "p99_ms": _spread([r["p99_ms"] or 0.0 for r in side.rounds]),
                                     "ok": sum(r["ok"] for r in side.rounds),
                                     "requests": sum(r["requests"] for r in side.rounds)}
            if side.db is not None:
                count, distinct = stored_events(side.db)
                entry["events_stored"] = count
                if count != distinct or count < entry["ok"]:
                    raise SystemExit(f"{side.name}: {entry['ok']} answered 200 but {count} events stored "
                                     f"({distinct} distinct)")
            result[side.name] = entry
        bare = result["bare"]["rps"]["median"]
        for side in sides:
            result[side.name]["ratio"] = round(result[side.name]["rps"]["median"] / bare, 2) if bare else None
    finally:
        for side in sides:
            if side.process.poll() is None:
                side.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"server: {result['server']}, wrk {result['wrk']}, {args.rounds} interleaved rounds, SQLite (WAL)")
    for side in sides:
        r = result[side.name]
        stored = f", {r['events_stored']} events stored for {r['ok']} answered 200" if "events_stored" in r else ""
        print(f"{side.name:>18}: {r['rps']['median']:.0f} req/s (min {r['rps']['min']:.0f}, max {r['rps']['max']:.0f})"
              f"  p99 {r['p99_ms']['median']} ms (min {r['p99_ms']['min']}, max {r['p99_ms']['max']})"
              f"  ratio to bare {r['ratio']}{stored}")
    return result


if __name__ == "__main__":
    main()
