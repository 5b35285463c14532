"""A scaled-out Ponte on one machine: gunicorn web processes, Celery (or embedded) workers, the doubles.

Used by ``bench/scale.py`` (events/s) and ``tests/e2e/test_scale_out.py`` (the proof that nothing is
lost or doubled when a worker is killed). Everything is real: a fresh PostgreSQL database migrated
with Alembic, Redis as the broker, gunicorn serving ``wsgi:app``, ``celery -A celery_app worker``
processes, and the Asaas and ZapSign doubles in this process on loopback ports. Payments created at
the Asaas double reach Ponte as its webhooks (through the first web process); duplicates are the
same envelopes posted again through the second one.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ASAAS_TOKEN_HEADER = "asaas-access-token"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def reachable(db_admin_url: str, broker_url: str) -> str | None:
    """None when PostgreSQL (at ``db_admin_url``) and Redis (``broker_url``) answer, else why not."""
    import redis
    from sqlalchemy import create_engine, text

    from app.database import normalize_url

    if not normalize_url(db_admin_url).startswith("postgresql"):
        return f"needs PostgreSQL, got {db_admin_url.split(':')[0]}"
    try:
        engine = create_engine(normalize_url(db_admin_url), connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure is a reason to skip
        return f"PostgreSQL not reachable ({exc.__class__.__name__})"
    try:
        redis.Redis.from_url(broker_url, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001
        return f"Redis not reachable at {broker_url} ({exc.__class__.__name__})"
    return None


@dataclass
class Cluster:
    """One scaled-out Ponte; ``with Cluster(...) as c`` creates its database and tears everything down."""

    db_admin_url: str  # any database of the server: a fresh one is created beside it
    broker_url: str
    executor: str = "celery"  # "embedded" (one gunicorn with its embedded worker), "worker" (flask worker run)
    web: int = 2
    workers: int = 2
    concurrency: int = 4
    lease_seconds: int = 10
    workdir: Path = field(default_factory=lambda: Path(f"/tmp/ponte-cluster-{uuid.uuid4().hex[:8]}"))
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    web_urls: list[str] = field(default_factory=list)

    def __enter__(self) -> Cluster:
        import redis
        from sqlalchemy import create_engine, text

        from app.database import normalize_url
        from app.vault import generate_key

        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "metrics").mkdir(exist_ok=True)
        self.db_name = f"ponte_scale_{uuid.uuid4().hex[:8]}"
        admin = create_engine(normalize_url(self.db_admin_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.db_name}"'))
        admin.dispose()
        self.db_url = str(admin.url.set(database=self.db_name).render_as_string(hide_password=False))
        redis.Redis.from_url(self.broker_url).flushdb()
        self.env = {
            **os.environ, "PONTE_ENV": "production", "DATABASE_URL": self.db_url,
            "SECRET_KEY": uuid.uuid4().hex * 2, "PONTE_VAULT_KEYS": generate_key(),
            "PONTE_INSTANCE_PATH": str(self.workdir / "instance"),
            "CELERY_BROKER_URL": self.broker_url, "CELERY_VISIBILITY_TIMEOUT": "30",
            "RUN_LEASE_SECONDS": str(self.lease_seconds), "RETRY_DELAY_SCALE": "0.01",
            "EMBEDDED_SCHEDULER": "false", "APPLY_RECIPE_FILES_ON_START": "false", "LOG_LEVEL": "warning",
            "PROMETHEUS_MULTIPROC_DIR": str(self.workdir / "metrics"), "EXECUTOR_WORKERS": str(self.concurrency),
            "CELERY_CONCURRENCY": str(self.concurrency), "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("PONTE_TEST_DATABASE_URL", None)
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=self.env,
                       check=True, capture_output=True, timeout=120)
        self._start_doubles()
        return self

    def _start_doubles(self) -> None:
        from sandbox.demo import start_doubles

        self.doubles = start_doubles()

    def wire(self) -> None:
        """Connections, recipes (only the charge → contract one enabled), the doubles' webhooks."""
        from sqlalchemy import update

        from app.db import get_db, get_session
        from app.factory import create_app
        from app.models import Recipe
        from sandbox.demo import wire_demo

        app = create_app({"DATABASE_URL": self.db_url, "PONTE_VAULT_KEYS": self.env["PONTE_VAULT_KEYS"],
                          "SECRET_KEY": self.env["SECRET_KEY"], "INSTANCE_PATH": str(self.workdir / "instance")})
        report = wire_demo(app, self.doubles, self.web_urls[0])
        assert report is not None and not report.errors, report and report.errors
        with app.app_context():
            session = get_session()
            session.execute(update(Recipe).where(Recipe.key != "asaas_charge_to_contract").values(enabled=False))
            session.commit()
            from sqlalchemy import select

            from app.models import Connection

            asaas = session.scalar(select(Connection).where(Connection.name == "asaas"))
            self.asaas_hook = f"/webhooks/{asaas.uid}"
            self.asaas_secret = asaas.get_credentials()["webhook_token"]
        get_db(app).dispose()

    def start(self) -> None:
        """The web processes, the wiring (webhooks point at the first), then the workers."""
        self.start_web()
        self.wire()
        if self.executor == "celery":
            for index in range(self.workers):
                self.start_worker(f"worker{index + 1}")
        elif self.executor == "worker":  # `flask worker run` processes, woken by NOTIFY
            for index in range(self.workers):
                name = f"worker{index + 1}"
                self._spawn(name, [str(BIN / "flask"), "--app", "wsgi", "worker", "run",
                                   "--workers", str(self.concurrency)], {**self.env, "EXECUTOR": "embedded"})
            time.sleep(3)  # no readiness probe: a worker that starts late only delays its first claim

    def start_web(self) -> None:
        """The web processes; returns once all answer."""
        count = 1 if self.executor == "embedded" else self.web
        for index in range(count):
            port = free_port()
            env = {**self.env, "EMBEDDED_WORKER": "true" if self.executor == "embedded" else "false",
                   "EXECUTOR": "celery" if self.executor == "celery" else "embedded"}
            self._spawn(f"web{index + 1}", [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                                            "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "8",
                                            "wsgi:app"], env)
            self.web_urls.append(f"http://127.0.0.1:{port}")
        for url, name in zip(self.web_urls, self.processes, strict=False):
            self._wait_http(url + "/healthz", name)

    def start_worker(self, name: str) -> None:
        self._spawn(name, [str(BIN / "celery"), "-A", "celery_app", "worker", "--pool", "threads",
                           "--concurrency", str(self.concurrency), "--queues", "ponte", "--hostname", f"{name}@%h",
                           "--without-gossip", "--without-mingle", "--loglevel", "warning"], self.env)
        from app.engine.celery_executor import make_celery

        celery = make_celery({"CELERY_BROKER_URL": self.broker_url})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self._alive(name)
            if celery.control.ping(destination=[f"{name}@{os.uname().nodename}"], timeout=0.5):
                return
        raise RuntimeError(f"{name} did not start: {self.log(name)[-2000:]}")

    def kill(self, name: str) -> None:
        """SIGKILL: no clean stop, no acknowledgement, claims left to their leases."""
        process = self.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        self.processes[name] = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")

    def _alive(self, name: str) -> None:
        if self.processes[name].poll() is not None:
            raise RuntimeError(f"{name} exited: {self.log(name)[-3000:]}")

    def _wait_http(self, url: str, name: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self._alive(name)
            try:
                requests.get(url, timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"{name} did not answer: {self.log(name)[-2000:]}")

    def create_payments(self, count: int, clients: int = 6) -> None:
        """``count`` payments at the Asaas double: each is one PAYMENT_CREATED webhook to web1."""
        url = f"{self.doubles.asaas.url}/_sandbox/payments"
        left = iter(range(count))
        lock = threading.Lock()

        def client() -> None:
            session = requests.Session()
            while True:
                with lock:
                    number = next(left, None)
                if number is None:
                    return
                customer = {"name": f"Cliente {number}", "email": f"cliente{number}@example.com"}
                session.post(url, json={"customer": customer}, timeout=30).raise_for_status()

        _run_threads(client, clients)

    def send_duplicates(self, count: int, clients: int = 4, seed: int = 17) -> int:
        """``count`` envelopes the double already sent, posted again through the last web process."""
        events = list(requests.get(f"{self.doubles.asaas.url}/_sandbox/state", timeout=60).json()["events"])
        chosen = iter(random.Random(seed).choices(events, k=count))
        lock = threading.Lock()
        url = self.web_urls[-1] + self.asaas_hook
        headers = {ASAAS_TOKEN_HEADER: self.asaas_secret}
        answered = {"ok": 0}

        def client() -> None:
            session = requests.Session()
            while True:
                with lock:
                    envelope = next(chosen, None)
                if envelope is None:
                    return
                if session.post(url, json=envelope, headers=headers, timeout=30).status_code == 200:
                    with lock:
                        answered["ok"] += 1

        _run_threads(client, clients)
        return answered["ok"]

    def drain_doubles(self) -> None:
        requests.post(f"{self.doubles.asaas.url}/_sandbox/drain", json={}, timeout=120)

    def statuses(self) -> dict[str, int]:
        """Runs by status, now."""
        from sqlalchemy import create_engine, text

        if not hasattr(self, "_engine"):
            self._engine = create_engine(self.db_url, pool_size=1)
        with self._engine.connect() as connection:
            return dict(connection.execute(text("SELECT status, count(*) FROM runs GROUP BY status")).all())

    def counts(self) -> dict[str, Any]:
        """What the database and the doubles hold now (events of the Asaas connection only)."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.db_url)
        with engine.connect() as connection:
            events = connection.execute(text(
                "SELECT count(*) FROM events e JOIN connections c ON c.id = e.connection_id "
                "WHERE c.name = 'asaas'")).scalar()
            statuses = dict(connection.execute(text("SELECT status, count(*) FROM runs GROUP BY status")).all())
            run_ids = [row[0] for row in connection.execute(text("SELECT id FROM runs"))]
        engine.dispose()
        documents = requests.get(f"{self.doubles.zapsign.url}/_sandbox/state", timeout=60).json()["documents"]
        return {"events": events, "runs": statuses, "run_ids": run_ids,
                "external_ids": [d.get("external_id") for d in documents]}

    def __exit__(self, kind: object, *_: object) -> None:
        import shutil

        from sqlalchemy import create_engine, text

        from app.database import normalize_url

        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.doubles.stop()
        if hasattr(self, "_engine"):
            self._engine.dispose()
        admin = create_engine(normalize_url(self.db_admin_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
        admin.dispose()
        if kind is None:  # after a failure the processes' logs stay for reading
            shutil.rmtree(self.workdir, ignore_errors=True)


def _run_threads(target: Any, count: int) -> None:
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
