"""Insert-if-absent on both SQLite and PostgreSQL: the primitive behind "duplicates are absorbed"."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(session: Session, model: Any, values: dict[str, Any], conflict: list[str],
                  where: ColumnElement[bool] | None = None) -> bool:
    """INSERT ... ON CONFLICT (conflict) [WHERE where] DO NOTHING; True when a row was inserted.

    Relies on the unique constraint, not on a prior SELECT, so concurrent deliveries of the same
    event from many threads or processes still produce exactly one row. ``where`` names a partial
    unique index (its WHERE clause).
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict, index_where=where)
        .returning(model.id)
    )
    # RETURNING, not rowcount: drivers disagree on rowcount for a conflict that inserted nothing.
    return session.execute(statement).scalar() is not None


def affected(result: Any) -> int:
    """How many rows an UPDATE or DELETE changed (``Result`` is typed without ``rowcount``)."""
    return int(getattr(result, "rowcount", 0) or 0)


@lru_cache(maxsize=32)
def _prepared(dialect: str, table: Table, conflict: tuple[str, ...]) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing(index_elements=list(conflict)).returning(table.c.id)


def prepared_insert_ignore(session: Session | Connection, model: type, conflict: tuple[str, ...]) -> Any:
    """The same INSERT ... ON CONFLICT DO NOTHING RETURNING id as :func:`insert_ignore`, built once per
    (dialect, table, conflict) and run with a row as parameters: ``session.execute(statement, row)``.

    Building ``insert().values(**row)`` per call made SQLAlchemy derive a cache key and walk the
    statement on every webhook delivery (~20% of its time); a fixed statement is compiled once.
    """
    dialect = session.dialect.name if isinstance(session, Connection) else session.get_bind().dialect.name
    return _prepared(dialect, model.__table__, conflict)  # type: ignore[attr-defined]
