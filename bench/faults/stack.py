"""The fault battery's stack: Ponte as real processes in front of the sandbox doubles.

- the Asaas and ZapSign doubles serve in this process (they are "the services");
- Ponte's web server is gunicorn (``make run``'s shape), its executor two or more separate
  ``flask worker run`` processes, all on one database (SQLite file or PostgreSQL);
- one recipe: Asaas charge created → ZapSign contract (the seed recipe, with a short retry policy);
- the battery's senders play Asaas: they POST the double's PAYMENT_CREATED envelopes to Ponte and
  re-send each one until it answers 200, as Asaas does.

:meth:`FaultStack.verdict` counts what the battery asserts: unique events sent, events stored,
runs, documents at the ZapSign double (and documents per run), runs not final, 500s.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from validate_docbr import CPF

from app import create_app
from app.db import get_db, get_session
from app.engine.recipes import sync_files
from app.models import Base, Connection, Event, Run
from app.vault import generate_key
from sandbox.demo import Doubles, start_doubles, wire_demo

from . import procs, senders
from .senders import Sent

RECIPE = "asaas_charge_to_contract"
FINAL = ("succeeded", "failed", "filtered", "skipped")
RETRY = "retry: {max_attempts: 20, base_delay_seconds: 1, max_delay_seconds: 2}\n"


class FaultStack:
    """Start with :meth:`start`, always :meth:`stop` (kills every process it started)."""

    def __init__(self, database_url: str, workdir: Path, *, workers: int = 2, threads: int = 4,
                 retry_scale: float = 0.2, proxy_port: int | None = None) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.n_workers, self.threads, self.retry_scale = workers, threads, retry_scale
        self.vault_key = generate_key()
        self.port = procs.free_port()
        worker_url = database_url
        if proxy_port is not None:  # Ponte's processes reach the database through a proxy the test cuts
            worker_url = make_url(database_url).set(host="127.0.0.1", port=proxy_port) \
                .render_as_string(hide_password=False)
        self.env = procs.ponte_env(worker_url, self.vault_key, workdir / "instance",
                                   RETRY_DELAY_SCALE=str(retry_scale), RUN_LEASE_SECONDS="30",
                                   EXECUTOR_WORKERS=str(threads))
        self.app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "fault-battery",
                               "PONTE_VAULT_KEYS": self.vault_key, "INSTANCE_PATH": str(workdir / "instance"),
                               "PUBLIC_BASE_URL": self.url})
        self.doubles: Doubles | None = None
        self.web: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.uid = ""
        self.token = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FaultStack:
        self.workdir.mkdir(parents=True, exist_ok=True)
        engine = get_db(self.app).engine
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)
        self.doubles = start_doubles()
        wire_demo(self.app, self.doubles, self.url, apply_recipes=False)
        recipes = self.workdir / "recipes"
        recipes.mkdir(exist_ok=True)
        source = procs.ROOT / "recipes" / f"{RECIPE}.yaml"
        (recipes / source.name).write_text(source.read_text(encoding="utf-8") + RETRY, encoding="utf-8")
        with self.app.app_context():
            session = get_session()
            report = sync_files(session, recipes, procs.ROOT / "mappings")
            assert not report.errors and report.created == [RECIPE], report
            asaas = session.scalar(select(Connection).where(Connection.name == "asaas"))
            self.uid, self.token = asaas.uid, asaas.get_credentials()["webhook_token"]
        for double in (self.asaas_state, self.zapsign_state):  # the battery's senders deliver instead
            with double.lock:
                double.webhooks.clear()
        self.start_web()
        for _ in range(self.n_workers):
            self.start_worker()
        return self

    def start_web(self) -> None:
        self.web = procs.spawn_web(self.env, self.port, log=self.workdir / "web.log")

    def start_worker(self) -> subprocess.Popen:
        worker = procs.spawn_worker(self.env, workers=self.threads, log=self.workdir / "workers.log")
        self.workers.append(worker)
        return worker

    def kill_web(self) -> None:
        assert self.web is not None
        procs.kill_hard(self.web)

    def kill_worker(self) -> None:
        alive = [w for w in self.workers if w.poll() is None]
        procs.kill_hard(random.choice(alive))  # noqa: S311

    def stop(self) -> None:
        for process in [*self.workers, self.web]:
            if process is not None:
                procs.stop(process, timeout=15)
        if self.doubles is not None:
            self.doubles.stop()
        get_db(self.app).dispose()

    def logs(self) -> str:
        return "".join((self.workdir / name).read_text(errors="replace")[-4000:]
                       for name in ("web.log", "workers.log") if (self.workdir / name).exists())

    # -- the services ----------------------------------------------------------------------------

    @property
    def asaas_state(self) -> Any:
        assert self.doubles is not None
        return self.doubles.asaas.server.app.extensions["asaas_sandbox"]

    @property
    def zapsign_state(self) -> Any:
        assert self.doubles is not None
        return self.doubles.zapsign.server.app.extensions["zapsign_state"]

    def chaos(self, **settings: Any) -> None:
        """Turn the doubles' random faults on (``rate=0.3``) or off (``rate=0``)."""
        assert self.doubles is not None
        for url in (self.doubles.asaas.url, self.doubles.zapsign.url):
            requests.post(f"{url}/_sandbox/chaos", json=settings, timeout=5).raise_for_status()

    def list_cache(self, seconds: float) -> None:
        """How long a new document stays out of the ZapSign double's list (ZapSign caches it ~60 s)."""
        assert self.doubles is not None
        requests.post(f"{self.doubles.zapsign.url}/_sandbox/config", json={"list_cache_seconds": seconds},
                      timeout=5).raise_for_status()

    def chaos_report(self) -> dict[str, Any]:
        assert self.doubles is not None
        return {name: requests.get(f"{url}/_sandbox/chaos", timeout=5).json()
                for name, url in (("asaas", self.doubles.asaas.url), ("zapsign", self.doubles.zapsign.url))}

    def new_charges(self, count: int, per_customer: int = 10) -> list[dict[str, Any]]:
        """``count`` charges created at the Asaas double, ``per_customer`` for each customer (so a
        ZapSign signer has a realistic handful of contracts); their PAYMENT_CREATED envelopes."""
        state = self.asaas_state
        due = time.strftime("%Y-%m-%d", time.localtime(time.time() + 10 * 86400))
        ids, customer = [], None
        for n in range(count):
            if n % per_customer == 0:
                customer, errors = state.create_customer({
                    "name": f"Cliente {n // per_customer}", "cpfCnpj": CPF().generate(),
                    "email": f"cliente{n // per_customer}.{self.port}@example.com", "notificationDisabled": True})
                assert customer is not None, errors
            payment, errors = state.create_payment({"customer": customer["id"], "billingType": "PIX",
                                                    "value": 300.0 + n % 50, "dueDate": due}, "http://asaas")
            assert payment is not None, errors
            ids.append(payment["id"])
        with state.lock:
            by_payment = {e["payment"]["id"]: e for e in state.events.values() if e["event"] == "PAYMENT_CREATED"}
        return [by_payment[i] for i in ids]

    # -- the senders (bench/faults/senders.py) --------------------------------------------------

    def deliver(self, envelope: dict[str, Any], sent: Sent, session: requests.Session, deadline: float) -> None:
        senders.deliver(self.url, self.uid, self.token, envelope, sent, session, deadline)

    def send_all(self, deliveries: list[dict[str, Any]], senders_count: int, sent: Sent | None = None,
                 timeout: float = 600, pace: float = 0.0) -> Sent:
        return senders.send_all(self.url, self.uid, self.token, deliveries, senders_count, sent, timeout, pace)

    # -- the verdict -----------------------------------------------------------------------------

    def unfinished(self) -> int:
        with self.app.app_context():
            session = get_session()
            pending_events = session.scalar(select(func.count()).select_from(Event)
                                            .where(Event.dispatched_at.is_(None)))
            open_runs = session.scalar(select(func.count()).select_from(Run).where(Run.status.not_in(FINAL)))
            return int(pending_events or 0) + int(open_runs or 0)

    def wait_drained(self, expected_runs: int, timeout: float) -> float:
        """Seconds until every event is dispatched and ``expected_runs`` runs are final."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.unfinished() == 0 and self.verdict()["runs"] >= expected_runs:
                return time.monotonic() - started
            time.sleep(0.5)
        return -1.0

    def suspects(self, limit: int = 5) -> list[dict[str, Any]]:
        """Runs that broke a promise (more than one document, or not final), with what the lead needs
        to see: status, attempts, the step's attempt and error, lease, the documents' creation times."""
        with self.zapsign_state.lock:
            docs: dict[str, list[str]] = {}
            for doc in self.zapsign_state.docs.values():
                docs.setdefault(doc["external_id"], []).append(doc["created_at"])
        doubled = {int(key.split("-")[1]) for key, made in docs.items() if len(made) > 1 and key.count("-") == 2}
        with self.app.app_context():
            session = get_session()
            runs = session.scalars(select(Run).where(Run.id.in_(doubled) | Run.status.not_in(FINAL))
                                   .order_by(Run.id).limit(limit)).all()
            return [{"run": r.id, "status": r.status, "attempt": r.attempt, "error": r.error,
                     "lease_owner": r.lease_owner, "lease_expires_at": str(r.lease_expires_at),
                     "steps": [(st.key, st.status, st.attempt, (st.error or "")[:200]) for st in r.steps],
                     "documents_created_at": docs.get(f"ponte-{r.id}-1", [])} for r in runs]

    def answered_200_but_missing(self, event_ids: set[str]) -> set[str]:
        with self.app.app_context():
            stored = set(get_session().scalars(select(Event.dedupe_key)))
        return event_ids - stored

    def verdict(self) -> dict[str, Any]:
        with self.app.app_context():
            session = get_session()
            events = session.scalar(select(func.count()).select_from(Event)
                                    .join(Connection, Event.connection_id == Connection.id)
                                    .where(Connection.name == "asaas"))
            statuses = dict(session.execute(select(Run.status, func.count()).group_by(Run.status)).all())
        with self.zapsign_state.lock:
            external_ids = Counter(d["external_id"] for d in self.zapsign_state.docs.values())
        return {
            "events": int(events or 0), "runs": sum(statuses.values()), "run_statuses": statuses,
            "documents": sum(external_ids.values()),
            "runs_with_two_documents": sum(1 for n in external_ids.values() if n > 1),
            "unfinished": self.unfinished(),
        }


def fresh_workdir(base: Path, name: str) -> Path:
    path = base / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path
