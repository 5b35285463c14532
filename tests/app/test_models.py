from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.db import get_session, session_scope
from app.models import Connection, Event, Recipe, Run, utcnow
from app.vault import Vault, VaultError, generate_key


def test_timestamps_come_back_timezone_aware_utc(app: Flask) -> None:
    with app.app_context():
        session = get_session()
        session.add(Connection(connector_key="x", name="c", settings={"a": [1, {"b": None}]}))
        session.commit()
        session.expunge_all()
        row = session.scalar(select(Connection))
        assert row.created_at.tzinfo is not None and row.created_at.utcoffset() == timedelta(0)
        assert row.settings == {"a": [1, {"b": None}]}
        assert len(row.uid) >= 16
        older = session.scalar(select(Connection).where(Connection.created_at <= utcnow()))
        assert older is not None


def test_naive_datetimes_are_refused(app: Flask) -> None:
    from datetime import datetime

    with app.app_context():
        session = get_session()
        session.add(Connection(connector_key="x", name="c", created_at=datetime(2024, 1, 1)))
        with pytest.raises(Exception, match="naive"):
            session.commit()


def test_connection_config_merges_settings_and_decrypted_secrets(app: Flask) -> None:
    with app.app_context():
        connection = Connection(connector_key="x", name="c", settings={"environment": "sandbox"})
        connection.set_credentials({"api_key": "k-123456"})
        assert "k-123456" not in connection.credentials_encrypted
        assert connection.config() == {"environment": "sandbox", "api_key": "k-123456"}
        connection.set_credentials({})
        assert connection.credentials_encrypted is None and connection.get_credentials() == {}


def test_wrong_vault_key_names_the_connection(app: Flask) -> None:
    with app.app_context():
        connection = Connection(connector_key="x", name="Asaas prod", settings={})
        connection.credentials_encrypted = Vault(generate_key()).encrypt_json({"api_key": "z"})
        with pytest.raises(VaultError, match="connection 'Asaas prod'"):
            connection.config()


def test_same_event_is_stored_once_per_connection(app: Flask) -> None:
    with app.app_context():
        session = get_session()
        connection = Connection(connector_key="x", name="c", settings={})
        session.add(connection)
        session.flush()
        session.add(Event(connection_id=connection.id, dedupe_key="pay_1:C", event_type="t", payload={}))
        session.commit()
        session.add(Event(connection_id=connection.id, dedupe_key="pay_1:C", event_type="t", payload={}))
        with pytest.raises(IntegrityError):
            session.commit()


def test_session_scope_commits_in_a_worker_thread(app: Flask) -> None:
    import threading

    def work() -> None:
        with session_scope(app) as session:
            recipe = Recipe(key="r", name="R", trigger_key="x.y", definition={"steps": []})
            session.add(recipe)
            session.flush()
            session.add(Run(recipe_id=recipe.id, recipe_version=1, dedupe_key="r:1", max_attempts=3))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    with app.app_context():
        run = get_session().scalar(select(Run))
        assert run is not None and run.status == "queued" and run.attempt == 0
