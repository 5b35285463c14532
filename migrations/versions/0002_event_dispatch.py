"""Events remember when the engine dispatched them to recipes (the executor's work queue).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(batch.f("ix_events_dispatched_at"), ["dispatched_at"])
    # Events stored before this revision were handled by nothing yet; leave them NULL so the
    # executor dispatches them once.


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_index(batch.f("ix_events_dispatched_at"))
        batch.drop_column("dispatched_at")
