"""The collection rule's test environment: Ponte from the factory, the Asaas double over real HTTP,
a real SMTP server (tests/smtp_server.py) behind the ``email`` connection, and the shipped recipes.

Time is driven by the test (time-machine); a "day" is: the scheduler's poll job, then the executor
until idle. ``CollectionEnv.day("2025-03-05")`` does both at noon São Paulo time and returns the
emails that day produced.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import time_machine
from flask import Flask
from sqlalchemy import select

from app.connections import create_connection
from app.db import get_session
from app.engine.compiled import clear_cache
from app.engine.executor import EmbeddedExecutor
from app.engine.recipes import sync_files
from app.models import Recipe, Run
from app.scheduler import Scheduler
from sandbox import asaas as asaas_double
from sandbox.server import RunningServer
from tests.smtp_server import ReceivedMessage, SmtpServer

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ("asaas_collection_rule", "asaas_payment_receipt")


def noon(day: str) -> str:
    """12:00 in São Paulo (UTC−3) on ``day``."""
    return f"{day}T15:00:00+00:00"


@dataclass
class CollectionEnv:
    app: Flask
    asaas: RunningServer
    smtp: SmtpServer
    clock: Any
    executor: EmbeddedExecutor
    scheduler: Scheduler
    seen: int = 0
    customers: dict[str, str] = field(default_factory=dict)

    @property
    def state(self) -> Any:
        return self.asaas.server.app.extensions["asaas_sandbox"]

    def payment(self, due: str, *, value: float = 1234.56, name: str = "Ana Souza",
                email: str | None = "ana@example.com", **extra: Any) -> dict[str, Any]:
        """A payment "made in Asaas's UI" due on ``due``, for a customer (one per name)."""
        customer: Any = self.customers.get(name) or {"name": name, **({"email": email} if email else {})}
        body = {"customer": customer, "value": value, "dueDate": due, "billingType": "BOLETO", **extra}
        payment = requests.post(f"{self.asaas.url}/_sandbox/payments", json=body, timeout=5).json()
        self.customers[name] = payment["customer"]
        return payment

    def pay(self, payment_id: str) -> None:
        requests.post(f"{self.asaas.url}/_sandbox/payments/{payment_id}/pay", timeout=5).raise_for_status()

    def move_due_date(self, payment_id: str, due: str) -> None:
        self.state.change_payment(payment_id, "PAYMENT_UPDATED", dueDate=due)

    def at(self, day: str) -> None:
        self.clock.move_to(noon(day))

    def poll(self, scheduler: Scheduler | None = None) -> bool:
        return (scheduler or self.scheduler).run_job("poll_triggers")

    def run(self) -> None:
        self.executor.run_until_idle()

    def new_mail(self) -> list[ReceivedMessage]:
        mail = self.smtp.messages[self.seen:]
        self.seen = len(self.smtp.messages)
        return mail

    def day(self, day: str) -> list[ReceivedMessage]:
        """Noon on ``day``: the poll job, the executor until idle; the emails sent meanwhile."""
        self.at(day)
        self.poll()
        self.run()
        return self.new_mail()

    def runs(self) -> list[Run]:
        with self.app.app_context():
            return list(get_session().scalars(select(Run).order_by(Run.id)))

    def recipe(self, key: str) -> Recipe:
        with self.app.app_context():
            return get_session().scalar(select(Recipe).where(Recipe.key == key))


def apply_recipes(app: Flask, tmp_path: Path, keys: tuple[str, ...] = RECIPES) -> None:
    folder = tmp_path / "recipes"
    folder.mkdir(exist_ok=True)
    for key in keys:
        shutil.copy(ROOT / "recipes" / f"{key}.yaml", folder / f"{key}.yaml")
    with app.app_context():
        report = sync_files(get_session(), folder, ROOT / "mappings")
    assert not report.errors, report.errors


def connect(app: Flask, asaas: RunningServer, smtp: SmtpServer) -> None:
    with app.app_context():
        session = get_session()
        create_connection(session, connector_key="asaas", name="asaas", values={
            "api_key": asaas_double.DEFAULT_API_KEY, "environment": "sandbox", "base_url": f"{asaas.url}/v3"})
        create_connection(session, connector_key="email", name="email", values={
            "host": smtp.host, "port": smtp.port, "security": "none", "from_address": "financeiro@example.com",
            "from_name": "Financeiro Exemplo", "timeout_seconds": 5})
        session.commit()


@pytest.fixture
def collection(app: Flask, tmp_path: Path) -> Iterator[CollectionEnv]:
    """The environment on 2025-03-01 at noon, recipes applied (the clock ticks from there)."""
    app.config["RETRY_DELAY_SCALE"] = 0.001
    clear_cache()  # compiled recipes are cached by (id, version): another test's database had other ones
    asaas = asaas_double.serve()
    with SmtpServer() as smtp, time_machine.travel(noon("2025-03-01"), tick=True) as clock:
        connect(app, asaas, smtp)
        apply_recipes(app, tmp_path)
        env = CollectionEnv(app, asaas, smtp, clock, EmbeddedExecutor(app, workers=2),
                            Scheduler(app, owner="test-scheduler", jobs=None))
        yield env
    asaas.stop()
    clear_cache()
