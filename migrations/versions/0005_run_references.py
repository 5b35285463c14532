"""Runs found by business reference, and run history that stays fast at a million rows.

``run_references`` holds the search keys of each run's references (payment id, document token,
customer name, CPF/CNPJ, e-mail: what its trigger declares), indexed on ``(value, run_id)``;
``runs.refs`` keeps them as shown. ``runs.replay_of_id`` gets an index (deleting a run checks who
replays it: without one, pruning scanned the table per run). The list's filters get indexes that end
in ``id`` (``status, id``; ``recipe_id, status, id``; ``recipe_id, id`` replaces ``recipe_id``), so "newest first" reads the
index instead of sorting. Runs started before this revision have no references until replayed.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_KEY = sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "run_references",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", SEARCH_KEY, nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_run_references_run_id_runs", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "name", "value", name="pk_run_references"),
    )
    op.create_index("ix_run_references_value_run_id", "run_references", ["value", "run_id"])
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("refs", sa.JSON(), nullable=True))
    op.create_index("ix_runs_replay_of_id", "runs", ["replay_of_id"])
    op.create_index("ix_runs_status_id", "runs", ["status", "id"])
    op.create_index("ix_runs_recipe_id_id", "runs", ["recipe_id", "id"])
    op.create_index("ix_runs_recipe_id_status_id", "runs", ["recipe_id", "status", "id"])
    op.drop_index("ix_runs_recipe_id", table_name="runs")


def downgrade() -> None:
    op.create_index("ix_runs_recipe_id", "runs", ["recipe_id"])
    op.drop_index("ix_runs_recipe_id_status_id", table_name="runs")
    op.drop_index("ix_runs_recipe_id_id", table_name="runs")
    op.drop_index("ix_runs_status_id", table_name="runs")
    op.drop_index("ix_runs_replay_of_id", table_name="runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("refs")
    op.drop_index("ix_run_references_value_run_id", table_name="run_references")
    op.drop_table("run_references")
