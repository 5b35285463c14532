"""Shared fixtures: an app from the factory on a fresh database, a client, users and tokens.

The database is a temporary SQLite file, or PostgreSQL when PONTE_TEST_DATABASE_URL is set (CI runs
the suite both ways). Tables come from ``create_all`` here only; the app itself uses migrations.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth import create_api_token, create_user
from app.db import get_db, get_session
from app.factory import create_app
from app.models import Base
from app.vault import generate_key

PG_SKIP_REASON = "PONTE_TEST_DATABASE_URL not set: PostgreSQL tests run in CI"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """The test database: PONTE_TEST_DATABASE_URL if set, else a SQLite file in tmp_path."""
    return os.environ.get("PONTE_TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'ponte.db'}"


@pytest.fixture
def pg_url() -> str:
    """PONTE_TEST_DATABASE_URL, or skip: for tests that only mean something on PostgreSQL."""
    url = os.environ.get("PONTE_TEST_DATABASE_URL")
    if not url:
        pytest.skip(PG_SKIP_REASON)
    return url


@pytest.fixture
def vault_key() -> str:
    return generate_key()


@pytest.fixture
def make_app(db_url: str, vault_key: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build apps from the factory with test settings; ``make_app(KEY=value)`` overrides."""
    apps: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        config = {
            "TESTING": True,
            "DATABASE_URL": db_url,
            "SECRET_KEY": "test-secret-key",
            "PONTE_VAULT_KEYS": vault_key,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "PUBLIC_BASE_URL": "http://ponte.test",
            **overrides,
        }
        app = create_app(config)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        get_db(app).dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """An app on empty tables (dropped again afterwards, so PostgreSQL stays clean)."""
    app = make_app()
    engine = get_db(app).engine
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    yield app
    get_db(app).remove()
    Base.metadata.drop_all(engine)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class Person:
    id: int
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _person(app: Flask, email: str, role: str) -> Person:
    password = f"{role}-password-123"
    with app.app_context():
        session = get_session()
        user = create_user(session, email=email, name=role.title(), role=role, password=password)
        _, token = create_api_token(session, user, "tests")
        session.commit()
        return Person(user.id, user.email, password, token)


@pytest.fixture
def admin(app: Flask) -> Person:
    """An admin user with an API token (``admin.headers``)."""
    return _person(app, "admin@example.com", "admin")


@pytest.fixture
def operator(app: Flask) -> Person:
    """An operator user with an API token (``operator.headers``)."""
    return _person(app, "operator@example.com", "operator")
