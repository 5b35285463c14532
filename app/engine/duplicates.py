"""Automations that would do the same work twice: found before anything is activated.

Two active automations on the same trigger of the same account that run the same action on the
same account double the effect: each charge makes two contracts, each signature two charges. So before
an automation is activated (wizard, API, ``recipes apply``), :func:`find_duplicates` lists the
active ones that share its trigger + trigger connection and at least one (action, connection)
step; activating anyway needs an explicit confirmation from the caller. The collection rule is
covered by the same test: its first step reads the payment on the trigger's Asaas account, so a
second rule on that account always shares a step.

A trigger without a connection (the schedule) is the same trigger only with the same options (two
schedules at different times are not duplicates). The document may be unvalidated (the API's
body): anything that is not the expected shape just finds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Connection, Recipe


@dataclass(frozen=True)
class Duplicate:
    """An active automation doing the same work; ``actions``: the action keys both run on one account."""

    id: int
    key: str
    name: str
    source: str
    actions: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "key": self.key, "name": self.name, "source": self.source,
                "actions": list(self.actions)}


def _steps(definition: Mapping[str, Any]) -> set[tuple[str, str]]:
    steps = definition.get("steps")
    if not isinstance(steps, list):
        return set()
    return {(str(s.get("action")), str(s.get("connection") or "")) for s in steps
            if isinstance(s, Mapping) and s.get("action")}


def find_duplicates(session: Session, definition: Mapping[str, Any], *,
                    ignore_keys: Iterable[str] = ()) -> list[Duplicate]:
    """Active recipes (other than ``definition``'s own key and ``ignore_keys``) doing the same work."""
    trigger = definition.get("trigger") if isinstance(definition, Mapping) else None
    if not isinstance(trigger, Mapping) or not isinstance(trigger.get("event"), str):
        return []
    mine = _steps(definition)
    if not mine:
        return []
    connection_name = trigger.get("connection")
    query = select(Recipe).where(Recipe.enabled.is_(True), Recipe.trigger_key == trigger["event"])
    if connection_name:
        connection_id = session.scalar(select(Connection.id).where(Connection.name == str(connection_name)))
        if connection_id is None:
            return []
        query = query.where(Recipe.trigger_connection_id == connection_id)
    else:
        query = query.where(Recipe.trigger_connection_id.is_(None))
    skip = {str(definition.get("key") or ""), *ignore_keys}
    found = []
    for recipe in session.scalars(query.order_by(Recipe.name)):
        if recipe.key in skip:
            continue
        theirs = recipe.definition or {}
        if not connection_name and (theirs.get("trigger") or {}).get("options") != trigger.get("options"):
            continue
        shared = mine & _steps(theirs)
        if shared:
            found.append(Duplicate(recipe.id, recipe.key, recipe.name, recipe.source,
                                   tuple(sorted({action for action, _ in shared}))))
    return found
