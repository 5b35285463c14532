"""Ops self-service: wizard drafts in the database, and who switched a recipe on or off (and when).

``wizard_drafts`` replaces the JSON files under ``instance/wizard_drafts/`` (a temporary file raced
between the live preview and the step save; a file is also only on one host). ``recipes.switched_by_id``
and ``recipes.switched_at`` record the last switch from the UI or the API, which ``recipes apply``
keeps when the file says otherwise. ``steps.history`` keeps every attempt's outcome (the step's
own columns hold only the last). ``alert_settings``: failure alerts set up in the UI.

Revision ID: 0012
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wizard_drafts",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(128), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_wizard_drafts_owner_id_users",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recipe_id"], ["recipes.id"], name="fk_wizard_drafts_recipe_id_recipes",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_wizard_drafts"),
    )
    op.create_index("ix_wizard_drafts_owner_id", "wizard_drafts", ["owner_id"])
    op.create_index("ix_wizard_drafts_updated_at", "wizard_drafts", ["updated_at"])
    with op.batch_alter_table("recipes") as batch:
        batch.add_column(sa.Column("switched_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("switched_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key("fk_recipes_switched_by_id_users", "users", ["switched_by_id"], ["id"],
                                 ondelete="SET NULL")
    with op.batch_alter_table("steps") as batch:
        batch.add_column(sa.Column("history", sa.JSON(), nullable=True))
    op.create_table(
        "alert_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        sa.Column("notify_admins", sa.Boolean(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"],
                                name="fk_alert_settings_connection_id_connections", ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name="fk_alert_settings_updated_by_id_users",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_alert_settings"),
    )


def downgrade() -> None:
    op.drop_table("alert_settings")
    with op.batch_alter_table("steps") as batch:
        batch.drop_column("history")
    with op.batch_alter_table("recipes") as batch:
        batch.drop_constraint("fk_recipes_switched_by_id_users", type_="foreignkey")
        batch.drop_column("switched_at")
        batch.drop_column("switched_by_id")
    op.drop_index("ix_wizard_drafts_updated_at", table_name="wizard_drafts")
    op.drop_index("ix_wizard_drafts_owner_id", table_name="wizard_drafts")
    op.drop_table("wizard_drafts")
