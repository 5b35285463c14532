"""What the wizard's screens offer: triggers, actions, connections, source fields, target fields.

Source fields come from the last real trigger output of the chosen connection (so the examples are
the user's own data) or else from the trigger's ``sample`` (for the schedule: the event its next fire
time will emit), plus each earlier step's action sample under ``steps.<key>``. Target fields are the
action's ``input_schema`` properties and, for a ZapSign template, the template's variables read live
from the account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Connection, Recipe, Run
from app.web import drafts
from app.web import wizard_schedule as schedule
from app.web.engine import run_lookup
from connectors import registry

TEMPLATE_ACTION = "zapsign.create_document_from_template"


def title_of(item: Any) -> str:
    """``title_pt`` in Portuguese when the connector gives one, else ``title``."""
    if str(get_locale() or "pt_BR").startswith("pt") and getattr(item, "title_pt", ""):
        return item.title_pt
    return item.title


def trigger_choices() -> list[tuple[str, str]]:
    """Webhook triggers, and the schedule (its title says what it is: it has no account to name)."""
    return [(f"{c.key}.{t.key}", f"{c.title}: {title_of(t)}" if c.needs_connection else title_of(t))
            for c in registry.CONNECTORS for t in c.triggers
            if t.kind == "webhook" or f"{c.key}.{t.key}" == schedule.EVENT]


def action_choices() -> list[tuple[str, str]]:
    return [(f"{c.key}.{a.key}", f"{c.title}: {title_of(a)}") for c in registry.CONNECTORS for a in c.actions]


def connector_of(qualified: str) -> Any:
    try:
        return registry.get_connector(qualified.partition(".")[0])
    except LookupError:
        return None


def needs_connection(qualified: str) -> bool:
    """False for a trigger with no account behind it (the schedule): the recipe names no connection."""
    connector = connector_of(qualified)
    return connector is None or bool(getattr(connector, "needs_connection", True))


def connections_for(session: Session, connector_key: str) -> list[Connection]:
    return list(session.scalars(select(Connection).where(Connection.connector_key == connector_key)
                                .order_by(Connection.name)))


def connection_named(session: Session, name: str) -> Connection | None:
    return session.scalar(select(Connection).where(Connection.name == name)) if name else None


def source_document(session: Session, document: dict[str, Any]) -> tuple[dict[str, Any], Run | None]:
    """The last real trigger output for this trigger and connection, else the trigger's sample."""
    event = (document.get("trigger") or {}).get("event") or ""
    connection = connection_named(session, (document.get("trigger") or {}).get("connection") or "")
    if connection is not None and event:
        run = session.scalar(
            select(Run).join(Recipe, Recipe.id == Run.recipe_id)
            .where(Recipe.trigger_key == event, Recipe.trigger_connection_id == connection.id,
                   Run.trigger_output.is_not(None))
            .order_by(Run.id.desc()).limit(1))
        if run is not None and isinstance(run.trigger_output, dict):
            return run.trigger_output, run
    if event == schedule.EVENT:
        upcoming = schedule.sample_payload(schedule.options_of(document))
        if upcoming is not None:
            return upcoming, None
    try:
        _, trigger = registry.get_trigger(event)
    except LookupError:
        return {}, None
    return trigger.sample, None


def source_fields(session: Session, document: dict[str, Any], upto: int) -> list[tuple[str, str]]:
    """``(path, example)`` of the trigger output and of the outputs of steps before ``upto``."""
    doc, _run = source_document(session, document)
    fields = drafts.flatten(doc)
    for step in (document.get("steps") or [])[:upto]:
        try:
            _, action = registry.get_action(step.get("action", ""))
        except LookupError:
            continue
        fields += drafts.flatten(action.sample, ["steps", step["key"]])
    return fields


@dataclass
class Target:
    """One field of an action's input the user can fill."""

    name: str  # "signer_name" or "variables.CPF"
    label: str
    required: bool
    schema: dict[str, Any]
    help: str = ""
    choices: list[str] = field(default_factory=list)


def step_targets(session: Session, step: dict[str, Any]) -> tuple[list[Target], str | None]:
    """The fields of one step (template variables first), and a lookup error to show, if any."""
    try:
        _, action = registry.get_action(step.get("action", ""))
    except LookupError:
        return [], None
    schema = action.input_schema
    required = set(schema.get("required", []))
    targets: list[Target] = []
    problem = None
    current = step.get("input") or {}
    if step.get("action") == TEMPLATE_ACTION:
        variables, problem = template_variables(session, step)
        known = {v["value"] for v in variables}
        for extra in (current.get("variables") or {}):
            if extra not in known:
                variables.append({"value": extra, "label": extra, "required": False})
        targets += [Target(f"variables.{v['value']}", v.get("label") or v["value"], bool(v.get("required")),
                           {"type": "string"}, v.get("help_text") or "") for v in variables]
    for name, prop in schema.get("properties", {}).items():
        if name in ("template_id", "variables") and step.get("action") == TEMPLATE_ACTION:
            continue
        kinds = prop.get("type") if isinstance(prop.get("type"), list) else [prop.get("type")]
        if "object" in kinds or "array" in kinds:
            continue
        choices = [str(v) for v in prop.get("enum", [])] or (["true", "false"] if "boolean" in kinds else [])
        targets.append(Target(name, prop.get("title") or name, name in required, prop,
                              prop.get("description", ""), choices))
    return targets, problem


def template_variables(session: Session, step: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    template_id = _constant((step.get("input") or {}).get("template_id"))
    connection = connection_named(session, step.get("connection") or "")
    if not template_id or connection is None:
        return [], None
    try:
        return list(run_lookup(connection, "template_variables", {"template_id": template_id})), None
    except Exception as exc:  # noqa: BLE001 - any connector error is shown, the page still works
        return [], getattr(exc, "user_message", None) or str(exc)


def templates_of(session: Session, step: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    connection = connection_named(session, step.get("connection") or "")
    if connection is None:
        return [], None
    try:
        return list(run_lookup(connection, "templates", {})), None
    except Exception as exc:  # noqa: BLE001 - shown to the user with the connector's message
        return [], getattr(exc, "user_message", None) or str(exc)


def _constant(expr: Any) -> str:
    if isinstance(expr, dict):
        expr = expr.get("const")
    return expr if isinstance(expr, str) else ""


def get_target(current: dict[str, Any], name: str) -> Any:
    if name.startswith("variables."):
        return (current.get("variables") or {}).get(name[len("variables."):])
    return current.get(name)
