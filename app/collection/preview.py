"""Who would get what today: the collection rule's steps due today, without storing or sending anything.

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


def reminder_recipes(session: Session, recipe_key: str | None = None) -> list[Recipe]:
    query = select(Recipe).where(Recipe.trigger_key == TRIGGER_KEY).order_by(Recipe.key)
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
        rows += preview_rule(session, connection, options, recipe=recipe)
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
            already_queued=stored,
        ))
    return rows
