"""Login throttling per account and per address, in the database so it holds across processes.

Each failed login counts against two keys: ``account:<e-mail as typed>`` and ``address:<ip>``. A key
that reaches its limit inside the window (5 for an account, 20 for an address, in 15 minutes by
default) is locked for ``LOGIN_LOCK_SECONDS``; a success clears the account's count. The counter is
one ``UPDATE … SET failures = failures + 1`` per key, so two gunicorn workers never lose a count.

The same work is done whether or not the e-mail exists: an unknown e-mail is counted and locked
like a real one, and its password is checked against a dummy hash, so neither the answer, the
lockout nor the time taken tells which e-mails are users.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.engine.store import affected
from app.models import LoginThrottle, User, utcnow

DEFAULTS = {"LOGIN_MAX_FAILURES_ACCOUNT": 5, "LOGIN_MAX_FAILURES_ADDRESS": 20, "LOGIN_WINDOW_SECONDS": 900,
            "LOGIN_LOCK_SECONDS": 900}


def _setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


def account_key(email: str) -> str:
    return "account:" + email.strip().lower()[:300]


def address_key(address: str) -> str:
    return "address:" + (address or "unknown")[:64]


@cache
def _dummy_hash() -> str:
    """A hash made the same way as users' (werkzeug's default), checked when no user matches."""
    return generate_password_hash("ponte-no-such-user")


def verify(user: User | None, password: str) -> bool:
    """The password check with the same cost whether ``user`` exists, is inactive or has no password."""
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    matches = check_password_hash(stored, password)
    return matches and user is not None and bool(user.password_hash) and bool(user.active)


@dataclass(frozen=True)
class Lock:
    """Why a login is refused before the password is looked at: which key, until when."""

    key: str
    until: datetime

    def minutes_left(self, now: datetime | None = None) -> int:
        return max(1, -(-int((self.until - (now or utcnow())).total_seconds()) // 60))


def current_lock(session: Session, keys: list[str]) -> Lock | None:
    """The lock (latest end) holding any of ``keys`` now, or None."""
    now = utcnow()
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys),
                                                        LoginThrottle.locked_until > now)).all()
    if not rows:
        return None
    row = max(rows, key=lambda r: r.locked_until)  # type: ignore[arg-type, return-value]
    return Lock(row.key, row.locked_until)  # type: ignore[arg-type]


def _ensure_row(session: Session, key: str, now: datetime) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(LoginThrottle).values(key=key, failures=0, window_started_at=now)
                    .on_conflict_do_nothing(index_elements=["key"]))


def record_failure(session: Session, email: str, address: str) -> list[str]:
    """Count a failure on the account and the address keys; returns the keys this failure locked.

    The caller commits. A key whose window has passed starts counting again from one.
    """
    now = utcnow()
    window_start = now - timedelta(seconds=_setting("LOGIN_WINDOW_SECONDS"))
    limits = {account_key(email): _setting("LOGIN_MAX_FAILURES_ACCOUNT"),
              address_key(address): _setting("LOGIN_MAX_FAILURES_ADDRESS")}
    locked = []
    for key, limit in limits.items():
        _ensure_row(session, key, now)
        stale = LoginThrottle.window_started_at < window_start
        session.execute(update(LoginThrottle).where(LoginThrottle.key == key).values(
            failures=case((stale, 1), else_=LoginThrottle.failures + 1),
            window_started_at=case((stale, now), else_=LoginThrottle.window_started_at),
            last_failure_at=now))
        failures = session.scalar(select(LoginThrottle.failures).where(LoginThrottle.key == key)) or 0
        if failures >= limit:
            until = now + timedelta(seconds=_setting("LOGIN_LOCK_SECONDS"))
            session.execute(update(LoginThrottle).where(LoginThrottle.key == key)
                            .values(locked_until=until, failures=0, window_started_at=now))
            locked.append(key)
    return locked


def record_success(session: Session, email: str) -> None:
    """A good password clears the account's count (the address keeps its own). The caller commits."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == account_key(email)))


def locks(session: Session) -> list[LoginThrottle]:
    """Keys locked now, for the admins' page."""
    return list(session.scalars(select(LoginThrottle).where(LoginThrottle.locked_until > utcnow())
                                .order_by(LoginThrottle.locked_until.desc())))


def unlock(session: Session, key: str) -> bool:
    """Lift a lock (an admin's decision); True when there was a row. The caller commits."""
    return affected(session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))) > 0
