"""Trust: API tokens with scope, expiry and revocation; an audit log; login throttles.

Existing tokens keep working with the power their owner's role gives (admin → admin, else operate)
and expire 90 days after this migration: there is no immortal token, not even an old one.

Revision ID: 0006
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEGACY_TOKEN_DAYS = 90


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("scope", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    expires = datetime.now(UTC) + timedelta(days=LEGACY_TOKEN_DAYS)
    if op.get_bind().dialect.name == "sqlite":
        expires = expires.replace(tzinfo=None)  # app.models.UTCDateTime keeps UTC without a zone there
    op.execute(sa.text("UPDATE api_tokens SET scope = CASE WHEN (SELECT role FROM users WHERE users.id = "
                       "api_tokens.user_id) = 'admin' THEN 'admin' ELSE 'operate' END, expires_at = :expires")
               .bindparams(sa.bindparam("expires", expires, type_=sa.DateTime(timezone=True))))
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("scope", existing_type=sa.String(length=16), nullable=False)
        batch.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"])
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=320), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )
    op.create_index(op.f("ix_login_throttles_locked_until"), "login_throttles", ["locked_until"])


def downgrade() -> None:
    op.drop_index(op.f("ix_login_throttles_locked_until"), table_name="login_throttles")
    op.drop_table("login_throttles")
    op.drop_index(op.f("ix_audit_events_at"), table_name="audit_events")
    op.drop_table("audit_events")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("revoked_at")
        batch.drop_column("expires_at")
        batch.drop_column("scope")
