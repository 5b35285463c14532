"""Who would get what today: the collection rule's steps due today, without storing or sending anything.

Escalation steps are listed too (``kind``): a recipe on the reminder trigger whose step is
``asaas.apply_fees`` gives ``apply_fees`` rows (the charges that would get the fine and interest),
and a recipe on ``asaas.overdue_digest`` gives one ``notify_owner`` row (who gets the day's list,
and how many payments it holds). Plain reminders are ``email``.

For each enabled recipe on ``asaas.payment_due_reminder`` (or the one named), or for a definition
not saved yet (the wizard's, :func:`preview_rule`), the trigger is polled as a brand-new rule would
be (window = today only) and each step is enriched with its customer. A step whose event is already
stored is marked ``already queued`` (it will not be sent again).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import clock
from app.engine.polling import event_key
from app.models import Connection, Event, Recipe
from connectors import registry
from connectors.sdk import Context

TRIGGER_KEY = "asaas.payment_due_reminder"
DIGEST_KEY = "asaas.overdue_digest"
FEES_ACTION = "asaas.apply_fees"


@dataclass(frozen=True)
class PreviewRow:
    recipe_key: str
    payment_id: str
    customer: str
    email: str
    value: Any
    due_date: str
    offset: int
    phase: str
    already_queued: bool
    kind: str = "email"
    count: int = 0


def kind_of(definition: Mapping[str, Any]) -> str:
    """``apply_fees`` for a rule recipe that applies fees, ``notify_owner`` for a digest, else ``email``."""
    if (definition.get("trigger") or {}).get("event") == DIGEST_KEY:
        return "notify_owner"
    actions = {str(step.get("action")) for step in definition.get("steps") or []}
    return "apply_fees" if FEES_ACTION in actions else "email"


def recipient(definition: Mapping[str, Any]) -> str:
    """The fixed ``to`` of a digest's e-mail step, else "" (stored definitions have their mappings
    inlined as ``input``)."""
    for step in definition.get("steps") or []:
        if step.get("action") == "email.send_email":
            to = (step.get("input") or {}).get("to")
            return to if isinstance(to, str) else ""
    return ""


def reminder_recipes(session: Session, recipe_key: str | None = None) -> list[Recipe]:
    query = select(Recipe).where(Recipe.trigger_key.in_((TRIGGER_KEY, DIGEST_KEY))).order_by(Recipe.key)
    query = query.where(Recipe.key == recipe_key) if recipe_key else query.where(Recipe.enabled.is_(True))
    return list(session.scalars(query))


def preview(session: Session, recipe_key: str | None = None) -> list[PreviewRow]:
    """The steps due today for each collection-rule recipe. Calls Asaas (read-only), stores nothing."""
    rows = []
    for recipe in reminder_recipes(session, recipe_key):
        connection = session.get(Connection, recipe.trigger_connection_id)
        if connection is None:
            continue
        options = (recipe.definition.get("trigger") or {}).get("options") or {}
        if recipe.trigger_key == DIGEST_KEY:
            rows += preview_digest(session, connection, recipe)
        else:
            rows += preview_rule(session, connection, options, recipe=recipe)
    return rows


def escalations(session: Session, connection: Connection) -> list[PreviewRow]:
    """Today's escalation steps of the enabled recipes on ``connection`` (the wizard lists them
    beside the rule being built)."""
    rows: list[PreviewRow] = []
    for recipe in reminder_recipes(session):
        if recipe.trigger_connection_id == connection.id and kind_of(recipe.definition) != "email":
            rows += preview(session, recipe.key)
    return rows


def preview_digest(session: Session, connection: Connection, recipe: Recipe | None, *,
                   options: Mapping[str, Any] | None = None, to: str = "") -> list[PreviewRow]:
    """The owner's digest as today's poll would make it (any hour: it is a preview), for a saved
    recipe or for the wizard's unsaved settings (``options``, ``to``)."""
    _, trigger = registry.get_trigger(DIGEST_KEY)
    assert trigger.poll is not None
    ctx = Context(config=connection.config(), logger=logging.getLogger("ponte.collection.preview"),
                  connection_name=connection.name, timezone=clock.zone_name())
    if options is None:
        options = (recipe.definition.get("trigger") or {}).get("options") or {} if recipe is not None else {}
    events, _ = trigger.poll(ctx, {**options, "hour": 0}, None)
    rows = []
    for event in events:
        stored = recipe is not None and session.scalar(select(Event.id).where(
            Event.connection_id == connection.id, Event.dedupe_key == event_key(recipe, event.dedupe_key))) is not None
        payload = event.payload
        rows.append(PreviewRow(
            recipe_key=recipe.key if recipe is not None else "", payment_id="", customer="",
            email=to or (recipient(recipe.definition) if recipe is not None else ""), value=None,
            due_date=str(payload["date"]), offset=int(payload.get("min_days", 1)), phase="after",
            already_queued=stored, kind="notify_owner", count=int(payload.get("count", 0))))
    return rows


def preview_rule(session: Session, connection: Connection, options: Mapping[str, Any], *,
                 recipe: Recipe | None = None) -> list[PreviewRow]:
    """The steps due today for one rule, saved (``recipe``) or not (the wizard's definition).

    Only a saved recipe can have steps already queued. Connector errors (bad key, Asaas down) go up
    as they are: the caller shows their ``user_message``.
    """
    _, trigger = registry.get_trigger(TRIGGER_KEY)
    assert trigger.poll is not None
    ctx = Context(config=connection.config(), logger=logging.getLogger("ponte.collection.preview"),
                  connection_name=connection.name, timezone=clock.zone_name())
    events, _ = trigger.poll(ctx, options, None)
    rows = []
    for event in events:
        output = trigger.output(ctx, event.payload, options)
        customer, payment, step = output["customer"], output["payment"], output["reminder"]
        stored = recipe is not None and session.scalar(select(Event.id).where(
            Event.connection_id == connection.id,
            Event.dedupe_key == event_key(recipe, event.dedupe_key))) is not None
        rows.append(PreviewRow(
            recipe_key=recipe.key if recipe is not None else "", payment_id=str(payment.get("id")),
            customer=str(customer.get("name") or ""), email=str(customer.get("email") or ""),
            value=payment.get("value"), due_date=step["due_date"], offset=step["offset"], phase=step["phase"],
            already_queued=stored, kind=kind_of(recipe.definition) if recipe is not None else "email",
        ))
    return rows
