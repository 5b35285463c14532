"""Events and cursors without a connection: the built-in schedule trigger needs no account.

``events.connection_id`` becomes nullable. A unique constraint never sees two NULLs as equal, so
connection-less rows get partial unique indexes of their own: an event once per (recipe, dedupe key),
a cursor once per (trigger, scope).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NO_CONNECTION = sa.text("connection_id IS NULL")
EVENTS_INDEX = "uq_events_recipe_id_dedupe_key_no_connection"
STATES_INDEX = "uq_trigger_states_trigger_key_scope_no_connection"


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.alter_column("connection_id", existing_type=sa.Integer(), nullable=True)
    op.create_index(EVENTS_INDEX, "events", ["recipe_id", "dedupe_key"], unique=True,
                    sqlite_where=NO_CONNECTION, postgresql_where=NO_CONNECTION)
    op.create_index(STATES_INDEX, "trigger_states", ["trigger_key", "scope"], unique=True,
                    sqlite_where=NO_CONNECTION, postgresql_where=NO_CONNECTION)


def downgrade() -> None:
    op.drop_index(STATES_INDEX, table_name="trigger_states")
    op.drop_index(EVENTS_INDEX, table_name="events")
    # Connection-less events cannot stay; their runs keep their history (trigger output) without them.
    op.execute("UPDATE runs SET event_id = NULL WHERE event_id IN (SELECT id FROM events WHERE connection_id IS NULL)")
    op.execute("DELETE FROM events WHERE connection_id IS NULL")
    with op.batch_alter_table("events") as batch:
        batch.alter_column("connection_id", existing_type=sa.Integer(), nullable=False)
