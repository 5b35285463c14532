"""No secret in storage, logs, pages or API answers after a full end-to-end run of both seed flows.

The connections' secrets (API keys, webhook secrets), the vault key and a card token the payment
webhook carries are looked for in the database itself (the SQLite file and its WAL, or every row
of every table on PostgreSQL), in every log line, and in every page and API answer an admin can open.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select, text

from app.db import get_db, get_session
from app.models import Base, Connection, Run
from sandbox import asaas as asaas_double
from sandbox import zapsign as zapsign_double
from tests.conftest import Person
from tests.web.conftest import login

from .conftest import Stack
from .test_reliability import _charge, _signed_document

CARD_TOKEN = "a75a1d98-c52d-4a6b-a413-71e00b193c99"  # creditCard.creditCardToken: charges the card again


def _secrets(stack: Stack) -> dict[str, str]:
    found = {"asaas api key": asaas_double.DEFAULT_API_KEY, "zapsign api token": zapsign_double.SANDBOX_TOKEN,
             "card token": CARD_TOKEN}
    with stack.app.app_context():
        for connection in get_session().scalars(select(Connection)):
            for field, value in connection.get_credentials().items():
                if isinstance(value, str) and len(value) >= 8:
                    found[f"{connection.name}.{field}"] = value
    found["vault key"] = stack.app.config["PONTE_VAULT_KEYS"].split(",")[0]
    return found


def _card_payment_webhook(stack: Stack, payment: dict[str, Any]) -> None:
    """A PAYMENT_CREATED for a card charge, as Asaas sends it: the payment carries its card token."""
    with stack.app.app_context():
        asaas = get_session().scalar(select(Connection).where(Connection.name == "asaas"))
        uid, secret = asaas.uid, asaas.get_credentials()["webhook_token"]
    body = {"id": "evt_card0001&1", "event": "PAYMENT_CREATED", "dateCreated": "2026-12-03 10:00:00",
            "payment": {**payment, "creditCard": {"creditCardNumber": "8829", "creditCardBrand": "MASTERCARD",
                                                  "creditCardToken": CARD_TOKEN}}}
    answer = requests.post(f"{stack.ponte.url}/webhooks/{uid}", json=body, headers={"asaas-access-token": secret},
                           timeout=10)
    assert answer.status_code == 200, answer.text


def _stored_text(app: Flask, tmp_path: Path) -> str:
    engine = get_db(app).engine
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        database = Path(engine.url.database or "")
        files = [database, database.with_name(database.name + "-wal")]
        return "\n".join(f.read_bytes().decode("utf-8", "replace") for f in files if f.exists())
    with engine.connect() as connection:
        return "\n".join(str(row) for table in Base.metadata.sorted_tables
                         for row in connection.execute(text(f'SELECT * FROM "{table.name}"')))  # noqa: S608


def _pages(app: Flask, admin: Person) -> dict[str, str]:
    client = login(app.test_client(), admin)
    with app.app_context():
        runs = list(get_session().scalars(select(Run.id)))
        connections = list(get_session().scalars(select(Connection.id)))
    paths = ["/", "/runs", "/connections", "/recipes", "/api/runs", "/api/connections", "/api/recipes"]
    paths += [f"/runs/{r}" for r in runs] + [f"/api/runs/{r}" for r in runs]
    paths += [f"/connections/{c}" for c in connections]
    pages = {}
    for path in paths:
        response = client.get(path, headers=admin.headers if path.startswith("/api") else {})
        assert response.status_code < 500, path
        pages[path] = response.get_data(as_text=True)
    return pages


def test_no_secret_in_the_database_logs_pages_or_api(stack: Stack, admin: Person, tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    payment = _charge(stack)
    _signed_document(stack)
    stack.settle(timeout=30)
    _card_payment_webhook(stack, payment)
    runs = stack.settle(timeout=30)
    assert any(r.status == "succeeded" for r in runs)
    secrets = _secrets(stack)
    places = {"database": _stored_text(stack.app, tmp_path), "logs": caplog.text, **_pages(stack.app, admin)}
    leaks = [(name, where) for name, value in secrets.items() for where, content in places.items()
             if value in content]
    assert leaks == []
