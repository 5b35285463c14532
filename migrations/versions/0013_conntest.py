"""Connections tested on save: why the last test failed (a reason word) and when it ran.

``connections.status`` and ``status_message`` already hold the last answer; ``status_reason``
(``unauthorized``, ``environment``, ``timeout``...) lets every page say it in the reader's language,
and ``checked_at`` says how old that answer is. A connection saved with a refused key ("save anyway")
keeps ``status = 'error'`` with both filled, so every picker can flag it.

Revision ID: 0013_conntest
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_conntest"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("status_reason", sa.String(32), nullable=True))
        batch.add_column(sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("checked_at")
        batch.drop_column("status_reason")
