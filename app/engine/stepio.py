"""What a step shows a connector and what it writes: the call's Context, and data masked for storage.

The runner (the state machine) asks here for the :class:`Context` of one call (the connection's
decrypted config, the idempotency key, when earlier attempts may have written, the database lock the
connector may take) and for the stored copy of a step's input or output.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import clock, locks
from app.engine.fence import RunSettings
from app.models import Connection, Run, Step
from app.vault import REDACTOR
from connectors import registry
from connectors.sdk import Context, TransientError, mask_sensitive


def chain_started_at(session: Session, run: Run) -> datetime:
    """When the first run of this replay chain was created: no step's earlier attempt is older."""
    created, parent = run.created_at, run.replay_of_id
    while parent is not None:
        created, parent = session.execute(select(Run.created_at, Run.replay_of_id).where(Run.id == parent)).one()
    return _aware(created)


@contextmanager
def _exclusive(bind: Any, name: str) -> Iterator[None]:
    """``Context.exclusive``: a database lock; a wait too long becomes a retry, not a failure."""
    try:
        with locks.exclusive(bind, name):
            yield
    except locks.LockTimeout as exc:
        raise TransientError("another run holds this record right now; trying again shortly",
                             internal_message=str(exc), retry_after=30) from None


def context(connection: Connection | None, step: Step, settings: RunSettings, since: datetime,
             bind: Any) -> Context:
    """The connector's view of one call; a trigger that needs no account (a schedule) gets no config."""
    return Context(
        config=connection.config() if connection is not None else {},
        logger=logging.getLogger(f"ponte.connector.{connection.connector_key if connection else step.action_key}"),
        idempotency_key=step.idempotency_key,
        attempt=step.attempt,
        connection_name=connection.name if connection is not None else "",
        sleep=settings.sleep,
        first_attempt_at=since,
        previous_attempt_at=_aware(step.possible_effect_at) if step.possible_effect_at else None,
        wait_scale=settings.retry_scale,
        lock=partial(_exclusive, bind),
        timezone=clock.zone_name(),
    )


def for_storage(value: Any, qualified_key: str) -> Any:
    """What is written of a step's data: the connector's sensitive fields and every known secret masked.

    The run goes on with the real values in memory; only the stored copy is masked. Secrets are known
    to this process as soon as it decrypts the connection, which it did to make the call.
    """
    if value is None:
        return None
    try:
        sensitive = registry.get_connector(qualified_key.split(".")[0]).sensitive
    except Exception:  # noqa: BLE001 - an unknown connector has no sensitive fields to mask
        sensitive = frozenset()
    return REDACTOR.mask_values(mask_sensitive(value, sensitive))


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything Ponte stores is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
