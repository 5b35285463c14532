"""Deferrals and possible effects: waits that are not failed attempts, and when a write may have landed.

``runs.deferrals`` counts claims that were not failed attempts (a rate limit, an action deferring
an inconclusive search, a busy destination, a claim released at a clean stop), so they never use up
the recipe's ``max_attempts``. ``steps.possible_effect_at`` is the latest moment an attempt of the
step may have written to the service; a search behind a cache trusts a miss only after it.

Revision ID: 0010
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("deferrals", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("steps") as batch:
        batch.add_column(sa.Column("possible_effect_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("steps") as batch:
        batch.drop_column("possible_effect_at")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("deferrals")
