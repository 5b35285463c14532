"""What the wizard's screens offer: triggers, actions, connections, source fields, target fields.

Source fields come from the last real trigger output of the chosen connection (so the examples are
the user's own data) or else from the trigger's ``sample`` (a clock trigger: the event its next fire
time will emit), plus each earlier step's action sample under ``steps.<key>``. Target fields are the
action's ``input_schema`` properties, labelled from the connector's catalog, with the choices the
action declares (``Action.choices``): fixed options with labels, or a lookup run with the step's
connection and the values of the properties it depends on. A property other properties depend on is
chosen first, on the "choices" screen; an object whose keys come from a lookup (``fields=True``)
becomes one field per option (a template's variables).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Connection, Recipe, Run
from app.web import drafts, metadata
from app.web import wizard_schedule as schedule
from app.web.engine import run_lookup
from connectors import registry
from connectors.sdk import Action, Connector


def title_of(connector: Connector, item: Any = None) -> str:
    """The connector's (or its trigger's / action's) title in the page's language."""
    return metadata.title(connector, item)


def trigger_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """The picker's option groups: every connector's everyday triggers first, then each connector's
    named groups (``Trigger.group``: "Asaas: Outros eventos de cobrança"), so 28 payment events do
    not bury "Cobrança recebida" among chargebacks and splits."""
    main: list[tuple[str, list[tuple[str, str]]]] = []
    others: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for c in registry.CONNECTORS:
        for t in c.triggers:
            if t.kind != "webhook" and t.timetable is None:
                continue
            option = (f"{c.key}.{t.key}", metadata.qualified_title(c, t))
            if t.group:
                others.setdefault((c.key, f"{metadata.title(c)}: {metadata.text(c, t.group)}"), []).append(option)
            elif main and main[-1][0] == metadata.title(c):
                main[-1][1].append(option)
            else:
                main.append((metadata.title(c), [option]))
    return main + [(label, options) for (_, label), options in others.items()]


def action_choices() -> list[tuple[str, str]]:
    return [(f"{c.key}.{a.key}", f"{metadata.title(c)}: {metadata.title(c, a)}")
            for c in registry.CONNECTORS for a in c.actions]


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
    if schedule.is_schedule(document):
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
    """One field of an action's input the user can fill (``choices``: ``(value, label)`` to pick from)."""

    name: str  # "signer_name" or "variables.CPF"
    label: str
    required: bool
    schema: dict[str, Any]
    help: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Choice:
    """A property chosen before the mapping (other properties' options depend on it)."""

    name: str
    label: str
    help: str
    options: list[dict[str, Any]]
    current: str
    problem: str | None = None


def _action(step: dict[str, Any]) -> tuple[Connector, Action] | None:
    return metadata.action_of(step.get("action", ""))


def _lookup(session: Session, step: dict[str, Any], key: str,
            params: dict[str, Any] | None) -> tuple[list[dict[str, Any]], str | None]:
    """The lookup's options with the step's connection; none until the connection and params are set."""
    connection = connection_named(session, step.get("connection") or "")
    if connection is None or params is None:
        return [], None
    try:
        return list(run_lookup(connection, key, params)), None
    except Exception as exc:  # noqa: BLE001 - any connector error is shown, the page still works
        return [], getattr(exc, "user_message", None) or str(exc)


def _constants(step: dict[str, Any]) -> dict[str, Any]:
    return {name: _constant(expr) for name, expr in (step.get("input") or {}).items()}


def choice_names(step: dict[str, Any]) -> list[str]:
    """The step's properties with live options that other properties depend on, in schema order."""
    found = _action(step)
    if found is None:
        return []
    action = found[1]
    names = [n for n in metadata.parents(action) if n in action.choices and action.choices[n].dynamic]
    return sorted(names, key=list(action.input_schema.get("properties", {})).index)


def has_choices(step: dict[str, Any]) -> bool:
    return bool(choice_names(step))


def choices_title(document: dict[str, Any]) -> dict[str, str]:
    """The "choices" step named after what is chosen there ("Modelo"), when that is one or two things."""
    labels = []
    for step in document.get("steps") or []:
        found = _action(step)
        if found is not None:
            labels += [metadata.property_text(found[0], found[1].input_schema, n)[0] for n in choice_names(step)]
    unique = list(dict.fromkeys(labels))
    return {"choices": ", ".join(unique)} if 0 < len(unique) <= 2 else {}


def step_choices(session: Session, step: dict[str, Any]) -> list[Choice]:
    """The step's properties with live options that other properties depend on (a ZapSign template)."""
    found = _action(step)
    if found is None:
        return []
    connector, action = found
    out = []
    for name in choice_names(step):
        choices = action.choices[name]
        options, problem = _lookup(session, step, choices.lookup, choices.params(_constants(step)))
        label, help_text = metadata.property_text(connector, action.input_schema, name)
        out.append(Choice(name, label, help_text, options, _constants(step).get(name) or "", problem))
    return out


def step_targets(session: Session, step: dict[str, Any]) -> tuple[list[Target], str | None]:
    """The fields of one step (an object's lookup fields first), and a lookup error to show, if any."""
    found = _action(step)
    if found is None:
        return [], None
    connector, action = found
    schema = action.input_schema
    required = set(schema.get("required", []))
    chosen_first = set(choice_names(step))
    current = step.get("input") or {}
    values = _constants(step)
    fields: list[Target] = []
    targets: list[Target] = []
    problem = None
    for name, prop in schema.get("properties", {}).items():
        choices = action.choices.get(name)
        if name in chosen_first:
            continue
        if choices is not None and choices.fields:
            options, problem = _lookup(session, step, choices.lookup, choices.params(values))
            known = {str(o["value"]) for o in options}
            options += [{"value": extra, "label": extra} for extra in (current.get(name) or {}) if extra not in known]
            fields += [Target(f"{name}.{o['value']}", o.get("label") or str(o["value"]), bool(o.get("required")),
                              {"type": "string"}, o.get("help_text") or "") for o in options]
            continue
        kinds = prop.get("type") if isinstance(prop.get("type"), list) else [prop.get("type")]
        if "object" in kinds or "array" in kinds:
            continue
        label, help_text = metadata.property_text(connector, schema, name)
        pairs = metadata.static_options(connector, choices)
        if choices is not None and choices.dynamic:
            options, trouble = _lookup(session, step, choices.lookup, choices.params(values))
            problem = problem or trouble
            pairs = [(str(o["value"]), str(o.get("label") or o["value"])) for o in options]
            if choices.params(values) is None:
                help_text = " ".join(x for x in (help_text, _("Choose %(fields)s first to see the options.",
                                     fields=", ".join(_labels(connector, schema, choices.depends_on)))) if x)
        if not pairs:
            pairs = [(str(v), str(v)) for v in prop.get("enum", [])] or (
                [("true", _("yes")), ("false", _("no"))] if "boolean" in kinds else [])
        targets.append(Target(name, label, name in required, prop, help_text, pairs))
    return fields + targets, problem


def _labels(connector: Connector, schema: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    return [metadata.property_text(connector, schema, name)[0] for name in names]


def _constant(expr: Any) -> str:
    if isinstance(expr, dict):
        expr = expr.get("const")
    return expr if isinstance(expr, str) else ""


def get_target(current: dict[str, Any], name: str) -> Any:
    """The expression of a field: ``variables.CPF`` lives under ``variables``."""
    parent, dot, key = name.partition(".")
    if dot:
        return (current.get(parent) or {}).get(key) if isinstance(current.get(parent), dict) else None
    return current.get(name)
