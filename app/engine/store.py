"""Insert-if-absent on both SQLite and PostgreSQL: the primitive behind "duplicates are absorbed"."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
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
