"""Migrations build the schema the models describe, and step back down, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from app.cli import alembic_config
from app.db import create_db_engine, get_db
from app.engine.store import insert_ignore
from app.factory import create_app
from app.models import ApiToken, Base, Event, Recipe, Run, utcnow
from app.vault import generate_key

PG_ADMIN = os.environ.get("PONTE_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _app(url: str, tmp_path: Path):
    return create_app({"DATABASE_URL": url, "PONTE_VAULT_KEYS": generate_key(),
                       "INSTANCE_PATH": str(tmp_path / "instance")})


def _diff(url: str) -> list:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                    Base.metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _upgrade_then_downgrade_one_step(url: str, tmp_path: Path) -> None:
    app = _app(url, tmp_path)
    try:
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert "admin@ponte.local" in result.output and "password:" in result.output
        assert _tables(url) == set(Base.metadata.tables)
        assert _diff(url) == []
        again = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert again.exit_code == 0 and "admin@ponte.local" not in again.output
        result = app.test_cli_runner().invoke(args=["db", "downgrade"])
        assert result.exit_code == 0, result.output
        assert _diff(url) != []  # one step back: the newest revision's change is gone
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0 and _diff(url) == []
        result = app.test_cli_runner().invoke(args=["db", "downgrade", "base"])
        assert result.exit_code == 0, result.output
        assert _tables(url) == set()
    finally:
        get_db(app).dispose()


def test_sqlite_upgrade_from_empty_matches_models_and_downgrades(tmp_path: Path) -> None:
    _upgrade_then_downgrade_one_step(f"sqlite:///{tmp_path / 'm.db'}", tmp_path)


def test_standalone_alembic_takes_the_url_from_x_argument(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    app = _app("sqlite://", tmp_path)
    config = alembic_config(app)
    config.attributes.pop("url")
    config.cmd_opts = type("Opts", (), {"x": [f"url={url}"]})()
    command.upgrade(config, "head")
    assert _tables(url) == set(Base.metadata.tables)
    get_db(app).dispose()


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A throwaway PostgreSQL database on 127.0.0.1:5432, or skip when none is reachable."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN}: {exc}")
    name = f"ponte_mig_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_postgresql_upgrade_from_empty_matches_models_and_downgrades(pg_database: str, tmp_path) -> None:
    _upgrade_then_downgrade_one_step(pg_database, tmp_path)


def _connectionless_events_are_unique_per_recipe_and_step_back_down(url: str, tmp_path: Path) -> None:
    """0004: a schedule's event has no connection, is stored once per (recipe, dedupe key), and going
    back to 0003 drops such events but keeps their runs."""
    app = _app(url, tmp_path)
    engine = create_db_engine(url)
    try:
        assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
        with Session(engine) as session:
            recipe = Recipe(key="weekday_greeting", name="x", trigger_key="schedule.cron", definition={})
            session.add(recipe)
            session.flush()
            values = {"connection_id": None, "recipe_id": recipe.id, "dedupe_key": f"{recipe.id}:2025-03-10T12:00:00",
                      "event_type": "SCHEDULE_FIRED", "payload": {}, "received_at": utcnow(), "source": "schedule"}
            no_connection = Event.connection_id.is_(None)
            inserted = [insert_ignore(session, Event, values, ["recipe_id", "dedupe_key"], no_connection)
                        for _ in range(2)]
            assert inserted == [True, False]
            event_id = session.scalar(text("SELECT id FROM events"))
            session.add(Run(recipe_id=recipe.id, recipe_version=1, event_id=event_id, status="succeeded"))
            session.commit()
        result = app.test_cli_runner().invoke(args=["db", "downgrade", "0003"])
        assert result.exit_code == 0, result.output
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM events")).scalar() == 0
            assert connection.execute(text("SELECT event_id FROM runs")).all() == [(None,)]
        columns = {c["name"]: c for c in inspect(engine).get_columns("events")}
        assert columns["connection_id"]["nullable"] is False
    finally:
        engine.dispose()
        get_db(app).dispose()


def test_sqlite_connectionless_events_migration(tmp_path: Path) -> None:
    _connectionless_events_are_unique_per_recipe_and_step_back_down(f"sqlite:///{tmp_path / 'c.db'}", tmp_path)


def test_postgresql_connectionless_events_migration(pg_database: str, tmp_path: Path) -> None:
    _connectionless_events_are_unique_per_recipe_and_step_back_down(pg_database, tmp_path)


def _legacy_tokens_get_their_owners_power_and_an_expiry(url: str, tmp_path: Path) -> None:
    """0006: a token made before scopes keeps its owner's power (admin → admin, else operate) and
    expires in 90 days: no token is immortal, not even an old one."""
    app = _app(url, tmp_path)
    engine = create_db_engine(url)
    try:
        assert app.test_cli_runner().invoke(args=["db", "upgrade", "0004"]).exit_code == 0
        with engine.begin() as connection:
            for uid, role in ((101, "admin"), (102, "operator")):
                connection.execute(text("INSERT INTO users (id, email, name, password_hash, role, locale, active, "
                                        "created_at) VALUES (:id, :email, '', 'x', :role, 'pt_BR', true, :now)"),
                                   {"id": uid, "email": f"{role}@x.example", "role": role, "now": utcnow()})
                connection.execute(text("INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) "
                                        "VALUES (:id, 'old', :hash, 'ponte_ab', :now)"),
                                   {"id": uid, "hash": f"{uid:064d}", "now": utcnow()})
        assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
        with Session(engine) as session:
            tokens = session.scalars(select(ApiToken).order_by(ApiToken.user_id)).all()
            assert [(t.user_id, t.scope) for t in tokens] == [(101, "admin"), (102, "operate")]
            for token in tokens:
                assert timedelta(days=89) < token.expires_at - utcnow() <= timedelta(days=90)
                assert token.revoked_at is None
    finally:
        engine.dispose()
        get_db(app).dispose()


def test_sqlite_legacy_tokens_migration(tmp_path: Path) -> None:
    _legacy_tokens_get_their_owners_power_and_an_expiry(f"sqlite:///{tmp_path / 't.db'}", tmp_path)


def test_postgresql_legacy_tokens_migration(pg_database: str, tmp_path: Path) -> None:
    _legacy_tokens_get_their_owners_power_and_an_expiry(pg_database, tmp_path)
