"""Alembic environment for Ponte.

The database URL comes from, in order: ``-x url=...``, the URL the Flask CLI passes
(``config.attributes["url"]``), the current Flask app's DATABASE_URL, the DATABASE_URL environment
variable. SQLite runs in batch mode (``render_as_batch``) with foreign keys off during migrations.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import pool

from app.db import create_db_engine, normalize_url
from app.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    x_args = context.get_x_argument(as_dictionary=True)
    url = x_args.get("url") or config.attributes.get("url")
    if not url:
        try:
            from flask import current_app

            url = current_app.config["DATABASE_URL"]
        except RuntimeError:  # no Flask app context
            url = None
    url = url or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("no database URL: pass -x url=..., or set DATABASE_URL")
    return normalize_url(url)


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = _url()
    engine = create_db_engine(url, sqlite_foreign_keys=False, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
