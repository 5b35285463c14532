"""Named leases in the database (``scheduler_locks``): one holder at a time across threads and processes.

The scheduler holds one to be the single process that fires jobs; a step holds one around a
read-then-write that the service cannot make atomic (search an Asaas customer by CPF, create it
when missing), so two runs for the same CPF never both create it. A lease is taken or renewed with
one conditional UPDATE (``WHERE owner = me OR expires_at < now``) or, the first time, an INSERT ...
ON CONFLICT DO NOTHING, so two holders can never both think they hold it; a holder that dies
leaves the lease to expire.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Engine, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.engine.store import affected
from app.models import SchedulerLock, utcnow

MAX_NAME = 64  # the column's length

log = logging.getLogger("ponte.engine.locks")


class LockTimeout(Exception):
    """Someone else held the lock for longer than the caller was willing to wait."""


def lock_name(name: str) -> str:
    """``name`` itself, or a stable digest of it when it is too long for the column."""
    if len(name) <= MAX_NAME:
        return name
    return "h:" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[: MAX_NAME - 2]


def try_acquire(session: Session, owner: str, lease_seconds: float, name: str) -> bool:
    """Take or renew the lease ``name`` for ``owner``; True when ``owner`` holds it afterwards. Commits."""
    now = utcnow()
    expires = now + timedelta(seconds=lease_seconds)
    result = session.execute(
        update(SchedulerLock)
        .where(SchedulerLock.name == name, or_(SchedulerLock.owner == owner, SchedulerLock.expires_at < now))
        .values(owner=owner, expires_at=expires)
        .execution_options(synchronize_session=False)
    )
    taken = affected(result) == 1
    if not taken:
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        statement = (insert(SchedulerLock).values(name=name, owner=owner, expires_at=expires)
                     .on_conflict_do_nothing(index_elements=["name"]).returning(SchedulerLock.name))
        taken = session.execute(statement).scalar() is not None
    session.commit()
    return taken


def release(session: Session, owner: str, name: str) -> None:
    """Give the lease up (expire it now) if ``owner`` holds it. Commits."""
    session.execute(update(SchedulerLock).where(SchedulerLock.name == name, SchedulerLock.owner == owner)
                    .values(expires_at=utcnow()).execution_options(synchronize_session=False))
    session.commit()


@contextmanager
def exclusive(bind: Engine, name: str, *, lease_seconds: float = 120, wait_seconds: float = 30,
              poll_seconds: float = 0.1) -> Iterator[None]:
    """Hold the lease ``name`` for the block, waiting up to ``wait_seconds`` for it (else LockTimeout).

    Each acquire, renewal and release is its own short transaction on its own session: nothing is
    held open while the block calls out, and the caller's session is left alone. A block that runs
    longer than the lease (an HTTP call retried for minutes) keeps it: a thread renews it every
    third of its length until the block ends.
    """
    name, owner = lock_name(name), f"block:{uuid.uuid4().hex}"
    deadline = time.monotonic() + wait_seconds
    while True:
        with Session(bind) as session:
            if try_acquire(session, owner, lease_seconds, name):
                break
        if time.monotonic() >= deadline:
            raise LockTimeout(f"{name} has been held by someone else for more than {wait_seconds:.0f} s")
        time.sleep(poll_seconds)
    try:
        with renewing(bind, lambda session: try_acquire(session, owner, lease_seconds, name),
                      lease_seconds / 3, f"lock {name}"):
            yield
    finally:
        with Session(bind) as session:
            release(session, owner, name)


@contextmanager
def renewing(bind: Engine, renew: Callable[[Session], bool], every: float, what: str) -> Iterator[None]:
    """While the block runs, a thread calls ``renew`` on a session of its own every ``every`` seconds
    and commits; it stops when ``renew`` answers False (``what`` was taken over). A failed renewal
    is logged and tried again at the next beat: a lease renewed every third of its length has slack.
    """
    done = threading.Event()

    def beat() -> None:
        while not done.wait(every):
            try:
                with Session(bind) as session:
                    renewed = renew(session)
                    session.commit()
            except Exception:  # noqa: BLE001 - a missed beat is retried
                log.warning("%s: renewal failed; trying again", what, exc_info=True)
                continue
            if not renewed:
                log.warning("%s was taken over while held", what)
                return

    thread = threading.Thread(target=beat, name=f"ponte-renew-{what[:24]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
