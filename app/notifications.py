"""Failure alerts by email: a run that failed for good, a connection whose credentials were rejected.

Who hears and how is set on the Alerts page (``app.alerting``): active admins (unless switched off)
and the extra addresses given there, plus the recipe's owner (for a connection, the owners of the
recipes it triggers), through the chosen e-mail connection; by default the first e-mail connection,
else the platform's SMTP settings (SMTP_HOST, ...); with neither, a log line (and the dashboard
says nobody would be told). How often: failures are
counted per subject (a recipe, a connection) per clock hour (UTC) in ``alerts``. The first failure
of an hour is emailed at once, with a short SMTP timeout so the run's thread waits seconds at most;
later ones only add to the count, and the scheduler's flush job sends one "N more failures" message
once the hour is over (and retries a first message that could not go out). Each message is claimed
with a conditional UPDATE before it is sent, so two senders never send the same one.

The engine's hooks call the listeners inside the run's app context and swallow their errors: a
broken alert never breaks a run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import alerting
from app.db import get_db
from app.engine import hooks
from app.engine.store import affected, insert_ignore
from app.models import Alert, Connection, Recipe, User, utcnow
from connectors import registry
from connectors.sdk import Context, Notice

log = logging.getLogger("ponte.notifications")

WINDOW = timedelta(hours=1)
SEND_TIMEOUT_SECONDS = 5.0
RETRY_FIRST_FOR = timedelta(hours=24)
BRASILIA = timedelta(hours=-3)


def init_app(app: Flask) -> None:
    """Listen to the engine's hooks (module-level listeners: subscribing twice is a no-op)."""
    hooks.subscribe("run_failed", on_run_failed)
    hooks.subscribe("connection_rejected", on_connection_rejected)


def on_run_failed(*, run_id: int, recipe_id: int, recipe_key: str, error: str | None, **_: Any) -> None:
    if has_app_context():
        record(current_app._get_current_object(), f"recipe:{recipe_id}",  # type: ignore[attr-defined]
               recipe_id=recipe_id, run_id=run_id, error=error)


def on_connection_rejected(*, connection_id: int, name: str, error: str | None, **_: Any) -> None:
    if has_app_context():
        record(current_app._get_current_object(), f"connection:{connection_id}",  # type: ignore[attr-defined]
               connection_id=connection_id, error=error)


def window_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def record(app: Flask, subject: str, *, recipe_id: int | None = None, connection_id: int | None = None,
           run_id: int | None = None, error: str | None = None) -> None:
    """Count one failure in its hour; email it at once when it is the hour's first."""
    session = get_db(app).session_factory()
    try:
        window = window_of(utcnow())
        insert_ignore(session, Alert, {"subject": subject, "recipe_id": recipe_id, "connection_id": connection_id,
                                       "window_start": window, "count": 0, "reported": 0}, ["subject", "window_start"])
        session.execute(update(Alert).where(Alert.subject == subject, Alert.window_start == window)
                        .values(count=Alert.count + 1, last_run_id=run_id, last_error=(error or "")[:2000])
                        .execution_options(synchronize_session=False))
        session.commit()
        alert = session.scalar(select(Alert).where(Alert.subject == subject, Alert.window_start == window))
        if alert is not None and alert.sent_at is None:
            send_first(app, session, alert)
    finally:
        session.close()


def _transport(app: Flask, session: Session) -> dict[str, Any] | None:
    """Where alerts go out now (None: off, or no e-mail connection and no SMTP_HOST)."""
    setup = alerting.current(session)
    return alerting.transport(setup, app.config) if setup.enabled else None


def flush(app: Flask, session: Session) -> int:
    """The scheduler's job: first messages still owed, then the counts of closed windows. Returns sends."""
    if _transport(app, session) is None:
        return 0
    now = utcnow()
    sent = 0
    for alert in session.scalars(select(Alert).where(Alert.sent_at.is_(None),
                                                     Alert.window_start >= now - RETRY_FIRST_FOR)).all():
        sent += send_first(app, session, alert)
    owed = select(Alert).where(Alert.sent_at.is_not(None), Alert.summary_sent_at.is_(None),
                               Alert.window_start <= now - WINDOW, Alert.count > Alert.reported)
    for alert in session.scalars(owed).all():
        sent += send_summary(app, session, alert)
    return sent


def send_first(app: Flask, session: Session, alert: Alert) -> bool:
    """Claim and send the window's first message; on failure, un-claim it for the flush job."""
    if _transport(app, session) is None:
        log.info("alert %s not emailed: alerts are off, or no e-mail connection is set for them and SMTP_HOST "
                 "is not set (%s)", alert.subject, alert.last_error)
        return False
    claimed = affected(session.execute(update(Alert).where(Alert.id == alert.id, Alert.sent_at.is_(None))
                              .values(sent_at=utcnow(), reported=Alert.count)
                              .execution_options(synchronize_session=False))) == 1
    session.commit()
    if not claimed:
        return False
    session.refresh(alert)
    if _deliver(app, session, alert, summary=0):
        return True
    session.execute(update(Alert).where(Alert.id == alert.id).values(sent_at=None, reported=0)
                    .execution_options(synchronize_session=False))
    session.commit()
    return False


def send_summary(app: Flask, session: Session, alert: Alert) -> bool:
    """Claim and send "N more failures" for a closed window."""
    before = alert.reported
    claimed = affected(session.execute(
        update(Alert).where(Alert.id == alert.id, Alert.summary_sent_at.is_(None), Alert.reported == before)
        .values(summary_sent_at=utcnow(), reported=Alert.count).execution_options(synchronize_session=False)
    )) == 1
    session.commit()
    if not claimed:
        return False
    session.refresh(alert)
    if _deliver(app, session, alert, summary=alert.count - before):
        return True
    session.execute(update(Alert).where(Alert.id == alert.id).values(summary_sent_at=None, reported=before)
                    .execution_options(synchronize_session=False))
    session.commit()
    return False


def _deliver(app: Flask, session: Session, alert: Alert, *, summary: int) -> bool:
    recipe = session.get(Recipe, alert.recipe_id) if alert.recipe_id else None
    connection = session.get(Connection, alert.connection_id) if alert.connection_id else None
    setup = alerting.current(session)
    settings = alerting.transport(setup, app.config) if setup.enabled else None
    groups = _by_locale(recipients(session, recipe, connection, admins=setup.notify_admins))
    known = {a for addresses in groups.values() for a in addresses}
    extra = [a for a in setup.recipients if a not in known]
    if extra:
        groups.setdefault("pt_BR", []).extend(extra)
    if not groups or settings is None:
        log.warning("alert %s: nobody to tell (no recipient, or alerts off)", alert.subject)
        return True
    try:
        for locale, addresses in groups.items():
            subject, body = compose(app, alert, recipe, connection, summary=summary, locale=locale)
            send_mail(app, addresses, subject, body, settings)
    except Exception as exc:  # noqa: BLE001 - reported, retried by the flush job
        log.warning("alert %s could not be emailed: %s", alert.subject, exc)
        return False
    return True


def recipients(session: Session, recipe: Recipe | None, connection: Connection | None, *,
               admins: bool = True) -> list[User]:
    """Active admins (unless ``admins`` is off), plus the owner of the recipe (or of the recipes the
    connection triggers)."""
    people = {u.id: u for u in session.scalars(select(User).where(User.role == "admin", User.active.is_(True)))
              } if admins else {}
    owner_ids: set[int] = set()
    if recipe is not None and recipe.owner_id:
        owner_ids.add(recipe.owner_id)
    if connection is not None:
        owner_ids |= {oid for oid in session.scalars(select(Recipe.owner_id).where(
            Recipe.trigger_connection_id == connection.id)) if oid}
    for user in session.scalars(select(User).where(User.id.in_(owner_ids - set(people)), User.active.is_(True))):
        people[user.id] = user
    return sorted(people.values(), key=lambda u: u.id)


def _by_locale(people: Iterable[User]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for user in people:
        groups.setdefault("en" if (user.locale or "").startswith("en") else "pt_BR", []).append(user.email)
    return groups


#: The messages, English msgids of the app catalog (translated with ``force_locale``); ``{name}``
#: placeholders are filled after translation.
_TEXT = {
    "run_subject": _l("[Ponte] Recipe “{name}” failed"),
    "run_body": _l("Run #{run} of recipe “{name}” ({key}) failed.\n\nReason: {error}\n\nSee the run: "
                   "{link}\n\nFurther failures of this recipe this hour are counted and sent as one "
                   "summary.\n"),
    "conn_subject": _l("[Ponte] Connection “{name}”: credentials rejected"),
    "conn_body": _l("The service rejected the credentials of connection “{name}”.\n\nReason: {error}\n\n"
                    "Fix the connection: {link}\n"),
    "hook_subject": _l("[Ponte] Connection “{name}”: webhook deliveries stopped"),
    "hook_body": _l("The service stopped delivering webhooks to connection “{name}” (queue {error}).\n\n"
                    "Ponte resumes the queue as soon as it is healthy and recovers what was missed; check "
                    "the connection: {link}\n"),
    "summary_subject": _l("[Ponte] “{name}”: {count} more failure(s) between {start} and {end}"),
    "summary_body": _l("After the first alert, “{name}” failed {count} more time(s) between {start} and "
                       "{end} (Brasília time).\n\nLast failure: {error}\n\nSee: {link}\n"),
}


def compose(app: Flask, alert: Alert, recipe: Recipe | None, connection: Connection | None, *,
            summary: int, locale: str) -> tuple[str, str]:
    """(subject, plain-text body) of the first message of a window, or of its summary."""
    with app.app_context(), force_locale(locale):
        text = {key: str(message) for key, message in _TEXT.items()}
    base = str(app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if recipe is not None:
        name = recipe.name or recipe.key
        link = f"{base}/runs/{alert.last_run_id}" if alert.last_run_id else f"{base}/runs?recipe={recipe.id}"
    else:
        name = connection.name if connection is not None else alert.subject
        link = f"{base}/connections/{alert.connection_id}"
    values = {"name": name, "key": recipe.key if recipe else "", "run": alert.last_run_id or "",
              "error": alert.last_error or "", "link": link, "count": summary}
    if summary:
        start = alert.window_start + BRASILIA
        values.update(start=start.strftime("%d/%m/%Y %H:%M"), end=(start + WINDOW).strftime("%H:%M"))
        if recipe is not None:
            values["link"] = f"{base}/runs?status=failed&recipe={recipe.id}"
        return text["summary_subject"].format(**values), text["summary_body"].format(**values)
    kind = "run" if recipe is not None else ("hook" if alert.subject.startswith("webhook:") else "conn")
    return text[f"{kind}_subject"].format(**values), text[f"{kind}_body"].format(**values)


def send_mail(app: Flask, to: list[str], subject: str, body: str, settings: dict[str, Any] | None = None) -> None:
    """One plain-text email through ``settings`` (the alerts' e-mail connection, else the platform's
    SMTP settings), with a short timeout, delivered by the registry's notifier."""
    connector = registry.notifier()
    if connector is None or connector.notify is None:
        raise RuntimeError("no registered connector can deliver notices")
    if settings is None:
        with app.app_context():
            settings = alerting.transport(alerting.current(get_db(app).sessions()), app.config)
    if settings is None:
        raise RuntimeError("no e-mail connection is set for alerts and SMTP_HOST is not set")
    connector.notify(Context(config=settings, logger=log), Notice(to=tuple(to), subject=subject, text=body))
