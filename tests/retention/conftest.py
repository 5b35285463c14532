"""Apps on a SQLite file and on PostgreSQL (skipped, saying why, when it is not available)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from app.db import get_db
from app.models import Base


def _tables(app: Flask) -> Iterator[Flask]:
    engine = get_db(app).engine
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    yield app
    get_db(app).remove()
    Base.metadata.drop_all(engine)


@pytest.fixture
def sqlite_app(make_app: Callable[..., Flask], tmp_path: Path) -> Iterator[Flask]:
    """Always SQLite (a file in tmp_path), whatever PONTE_TEST_DATABASE_URL says."""
    yield from _tables(make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'retention.db'}", RETENTION_DAYS=30))


@pytest.fixture
def pg_app(make_app: Callable[..., Flask], pg_url: str) -> Iterator[Flask]:
    app = make_app(DATABASE_URL=pg_url)
    try:
        with get_db(app).engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no PostgreSQL here"
        pytest.skip(f"PostgreSQL at PONTE_TEST_DATABASE_URL is not reachable: {exc.__class__.__name__}")
    yield from _tables(app)
