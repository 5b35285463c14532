"""Ponte as separate processes: the web server under gunicorn and ``flask worker run`` workers.

The fault battery kills these with SIGKILL and starts them again, so each is its own process group
on a fixed loopback port (a restarted web server answers where the senders and doubles expect it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ponte_env(database_url: str, vault_keys: str, instance_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a Ponte process with no embedded worker or scheduler (workers run apart)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PONTE_", "DATABASE_"))}
    env.update({
        "PONTE_ENV": "development", "DATABASE_URL": database_url, "PONTE_VAULT_KEYS": vault_keys,
        "SECRET_KEY": "fault-battery-secret-key", "PONTE_INSTANCE_PATH": str(instance_path),
        "EMBEDDED_WORKER": "false", "EMBEDDED_SCHEDULER": "false", "APPLY_RECIPE_FILES_ON_START": "false",
        "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT), **extra,
    })
    return env


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port} after {timeout} s")


def spawn_web(env: dict[str, str], port: int, *, threads: int = 8, log: Path | None = None) -> subprocess.Popen:
    """gunicorn wsgi:app, one worker process x ``threads`` threads (as ``make run``), listening on ``port``."""
    command = [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads",
               str(threads), "--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning", "wsgi:app"]
    process = _spawn(command, env, log)
    wait_for_port(port, process)
    return process


def spawn_worker(env: dict[str, str], *, workers: int = 4, log: Path | None = None) -> subprocess.Popen:
    """``flask --app wsgi worker run --workers N``: the executor as its own process."""
    command = [str(VENV_BIN / "flask"), "--app", "wsgi", "worker", "run", "--workers", str(workers)]
    return _spawn(command, env, log)


def _spawn(command: list[str], env: dict[str, str], log: Path | None) -> subprocess.Popen:
    output = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - the child owns it
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                            start_new_session=True)


def kill_hard(process: subprocess.Popen) -> None:
    """SIGKILL the process's whole group (gunicorn's arbiter and its worker), then reap it."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def stop(process: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM (a clean stop), SIGKILL if it does not go in ``timeout``."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        kill_hard(process)
