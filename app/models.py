"""The data model: SQLAlchemy 2 typed models. Schema changes go through Alembic (migrations/).

Table and column names are a contract: the engine, webhooks, web and API code are written against
them. Timestamps are timezone-aware UTC on every backend (see :class:`UTCDateTime`).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("admin", "operator")
CONNECTION_STATUSES = ("untested", "ok", "error")
RECIPE_SOURCES = ("file", "wizard", "api")
EVENT_SOURCES = ("webhook", "poll", "schedule", "manual")
RUN_STATUSES = ("queued", "running", "retrying", "succeeded", "filtered", "failed", "skipped")
RUN_FINAL_STATUSES = ("succeeded", "filtered", "failed", "skipped")
STEP_STATUSES = ("running", "succeeded", "failed", "skipped", "retrying")


def utcnow() -> datetime:
    """Now, timezone-aware UTC. Use this for every timestamp."""
    return datetime.now(UTC)


def new_uid() -> str:
    """A random url-safe public id (22 characters) for webhook URLs."""
    return secrets.token_urlsafe(16)


class UTCDateTime(TypeDecorator[datetime]):
    """DateTime stored as UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use app.models.utcnow() or an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    """A person who logs in: an admin manages connections and users, an operator runs recipes."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="operator")
    locale: Mapped[str] = mapped_column(String(16), default="pt_BR")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    # Flask-Login's user protocol, spelled out so the models import no Flask (workers use them too).
    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.active)

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class ApiToken(Base):
    """A named bearer token for the JSON API: only its sha256 is stored; it has a scope (what it may
    do, never more than its owner's role), an expiry (no token is immortal) and can be revoked."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(8))
    scope: Mapped[str] = mapped_column(String(16), default="read")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class AuditEvent(Base):
    """Who did what to access (logins, lockouts, tokens), kept apart from run history; never a secret."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(255), default="")
    subject: Mapped[str] = mapped_column(String(255), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class LoginThrottle(Base):
    """Failed logins per key (``account:<e-mail>`` or ``address:<ip>``) in a window, shared by every
    process through the database; ``locked_until`` is the lockout admins see."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(320), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(index=True)
    last_failure_at: Mapped[datetime | None]


class Connection(Base):
    """An account in a service (Asaas, ZapSign, SMTP...): settings in clear, secrets encrypted."""

    __tablename__ = "connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True, default=new_uid)
    connector_key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255), unique=True)
    credentials_encrypted: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="untested")
    status_message: Mapped[str | None] = mapped_column(Text)
    # Why the last test failed, as a word every page translates (app/connection_check.py), and when.
    status_reason: Mapped[str | None] = mapped_column(String(32))
    checked_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def set_credentials(self, credentials: dict[str, Any]) -> None:
        """Encrypt the secret fields as one token (an empty dict clears them)."""
        from app.vault import REDACTOR, get_vault

        REDACTOR.add_secrets_of(credentials)
        self.credentials_encrypted = get_vault().encrypt_json(credentials) if credentials else None

    def get_credentials(self) -> dict[str, Any]:
        """The decrypted secret fields; VaultError naming this connection on a wrong key."""
        from app.vault import REDACTOR, get_vault

        if not self.credentials_encrypted:
            return {}
        credentials = get_vault().decrypt_json(self.credentials_encrypted, f"connection {self.name!r}")
        REDACTOR.add_secrets_of(credentials)
        return credentials

    def config(self) -> dict[str, Any]:
        """Settings merged with decrypted secrets: what a connector receives in ``Context.config``."""
        return {**(self.settings or {}), **self.get_credentials()}


class Recipe(Base):
    """A trigger, filters and steps; ``definition`` is the full validated recipe document."""

    __tablename__ = "recipes"
    __table_args__ = (Index("ix_recipes_trigger", "trigger_connection_id", "trigger_key", "enabled"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(16), default="file")
    source_path: Mapped[str | None] = mapped_column(String(1024))
    version: Mapped[int] = mapped_column(Integer, default=1)
    trigger_connection_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id"))
    trigger_key: Mapped[str] = mapped_column(String(128))
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The last switch on/off from the UI or the API (who, when): ``recipes apply`` keeps it, and
    # ``recipes plan`` shows it, when it differs from the file's ``enabled``.
    switched_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    switched_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    trigger_connection: Mapped[Connection | None] = relationship()
    switched_by: Mapped[User | None] = relationship(foreign_keys=[switched_by_id])


class WizardDraft(Base):
    """A recipe being built in the wizard: the whole draft as one JSON document, per owner.

    Every save replaces ``data`` in one UPDATE (atomic per draft, any web process can continue it);
    ``revision`` counts the saves.
    """

    __tablename__ = "wizard_drafts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    template: Mapped[str] = mapped_column(String(128), default="blank")
    recipe_id: Mapped[int | None] = mapped_column(ForeignKey("recipes.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RecipeVersion(Base):
    """Every saved definition of a recipe; a run records the version it ran."""

    __tablename__ = "recipe_versions"
    __table_args__ = (UniqueConstraint("recipe_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipe_id: Mapped[int] = mapped_column(ForeignKey("recipes.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Event(Base):
    """A durable inbound event; the same (connection, dedupe_key) is stored once.

    An event polled by a trigger that needs no connection (the schedule) has no connection; the same
    (recipe, dedupe_key) is stored once (a partial unique index: NULLs never collide in the other).
    """

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("connection_id", "dedupe_key"),
        Index("uq_events_recipe_id_dedupe_key_no_connection", "recipe_id", "dedupe_key", unique=True,
              sqlite_where=text("connection_id IS NULL"), postgresql_where=text("connection_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id"))
    dedupe_key: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(16), default="webhook")
    #: When the engine matched this event to recipes (NULL: not yet; the executor picks it up).
    dispatched_at: Mapped[datetime | None] = mapped_column(index=True)
    #: The recipe that polled this event (polling triggers): it dispatches to that recipe only.
    recipe_id: Mapped[int | None] = mapped_column(ForeignKey("recipes.id", ondelete="CASCADE"))


class WebhookDelivery(Base):
    """A rejected or malformed inbound delivery, kept for the operator (body excerpt: 2 KB)."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("connections.id", ondelete="SET NULL"), index=True
    )
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status_code: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    body_excerpt: Mapped[str | None] = mapped_column(Text)
    remote_addr: Mapped[str | None] = mapped_column(String(64))


class Run(Base):
    """One execution of a recipe for one event; ``dedupe_key`` makes it happen once.

    The run list is newest first, so each filter has an index ending in ``id`` (status, recipe, both);
    ``replay_of_id`` is indexed because deleting a run checks who replays it. ``refs`` keeps the
    business references the trigger declares (payment id, document token, e-mail...) as the event
    said them, for display; :class:`RunReference` holds their search keys.
    """

    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_runs_status_id", "status", "id"),
        Index("ix_runs_recipe_id_id", "recipe_id", "id"),
        Index("ix_runs_recipe_id_status_id", "recipe_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipe_id: Mapped[int] = mapped_column(ForeignKey("recipes.id"))
    recipe_version: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    # Claims that were not failed attempts (rate limits, deferrals, busy destinations, released claims).
    deferrals: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None]
    trigger_output: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    filter_result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    error_kind: Mapped[str | None] = mapped_column(String(32))
    replay_of_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    refs: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    recipe: Mapped[Recipe] = relationship()
    event: Mapped[Event | None] = relationship()
    steps: Mapped[list[Step]] = relationship(
        back_populates="run", order_by="Step.position", cascade="all, delete-orphan"
    )


#: Search keys compare byte-wise on every backend, so a prefix is a range (``>= k`` and ``< k + U+10FFFF``).
SEARCH_KEY = String(255).with_variant(String(255, collation="C"), "postgresql")


class RunReference(Base):
    """One search key of a run's business reference (``app/engine/references.py``): the run list
    finds runs by payment id, document token, name, CPF/CNPJ or e-mail through ``(value, run_id)``."""

    __tablename__ = "run_references"
    __table_args__ = (Index("ix_run_references_value_run_id", "value", "run_id"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(SEARCH_KEY, primary_key=True)


class Step(Base):
    """One action of a run: input, output, error and timings, as data."""

    __tablename__ = "steps"
    __table_args__ = (UniqueConstraint("run_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(128))
    action_key: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="running")
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    input: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    output: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    error_kind: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    # The latest moment an attempt may have written to the service (failed ambiguously, crashed):
    # what a search behind a cache must wait past before it trusts a miss.
    possible_effect_at: Mapped[datetime | None]
    # Every attempt's outcome, oldest first ({attempt, status, error, error_kind, started_at,
    # finished_at, duration_ms}): the columns above only hold the last one.
    history: Mapped[list[Any] | None] = mapped_column(JSON)

    run: Mapped[Run] = relationship(back_populates="steps")


class TriggerState(Base):
    """A polling trigger's cursor, per connection (or none, for the schedule), trigger and scope."""

    __tablename__ = "trigger_states"
    __table_args__ = (
        UniqueConstraint("connection_id", "trigger_key", "scope"),
        Index("uq_trigger_states_trigger_key_scope_no_connection", "trigger_key", "scope", unique=True,
              sqlite_where=text("connection_id IS NULL"), postgresql_where=text("connection_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipe_id: Mapped[int | None] = mapped_column(ForeignKey("recipes.id", ondelete="CASCADE"))
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    trigger_key: Mapped[str] = mapped_column(String(128))
    scope: Mapped[str] = mapped_column(String(255), default="")
    cursor: Mapped[Any | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SchedulerLock(Base):
    """A lease: the process whose ``owner`` holds an unexpired row is the one scheduler that fires jobs."""

    __tablename__ = "scheduler_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]


class Alert(Base):
    """Failure alerts of one subject (a recipe, a connection) in one hour: sent once, then summed up.

    ``count`` failures happened in the window; ``reported`` of them were already in an email.
    """

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("subject", "window_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(64))
    recipe_id: Mapped[int | None] = mapped_column(ForeignKey("recipes.id", ondelete="CASCADE"))
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer, default=0)
    reported: Mapped[int] = mapped_column(Integer, default=0)
    last_run_id: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    summary_sent_at: Mapped[datetime | None]


class AlertSettings(Base):
    """Who hears about failures and through which e-mail connection (one row, id 1; set in the UI).

    With no row, alerts are on and go through the first e-mail connection, to the active admins
    (and the recipe's owner); ``recipients`` are extra addresses.
    """

    __tablename__ = "alert_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id", ondelete="SET NULL"))
    notify_admins: Mapped[bool] = mapped_column(Boolean, default=True)
    recipients: Mapped[list[Any]] = mapped_column(default=list)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

