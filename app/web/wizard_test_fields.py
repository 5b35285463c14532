"""The test panel's words: a step's mapped input as labelled, locale-formatted fields (with the "no
silent nulls" problems at their field), the confirmation's sentence, and a send's outcome.

Labels come from the action's input schema through the connector's catalog (``wizard_data``), so
no API field name reaches the page; values are shown as people read them (R$ 1.234,56 and
dd/mm/aaaa on pt-BR pages, choice labels instead of codes).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from babel.numbers import format_decimal
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.engine import trial
from app.engine.spec import StepSpec
from app.web import metadata
from app.web import wizard_data as data
from app.web.engine_text import engine_text
from app.web.formatting import day, money
from app.web.labels import error_kind_label

ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
URL = re.compile(r"^https?://", re.IGNORECASE)
INTENT_FIELDS = 3  # fields named in the confirmation's sentence of a step


@dataclass
class Row:
    """One input field: its label, its value as shown, and what is wrong with it ("" when fine)."""

    name: str
    label: str
    value: str
    problem: str = ""
    required: bool = False
    chosen: bool = False  # chosen before the mapping (a template): named first in the sentence
    from_step: str = ""  # read from an earlier step's output: the sample's here, the real one when sent


@dataclass
class StepView:
    index: int
    key: str
    action: str
    title: str
    service: str
    connection: str
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class OutcomeView:
    key: str
    title: str
    status: str
    summary: str = ""
    links: list[str] = field(default_factory=list)
    error: str = ""
    kind: str = ""
    output: Any = None


def day_of(value: Any) -> str:
    return day(value, metadata.locale())


def show(value: Any, schema: dict[str, Any], choices: list[tuple[str, str]], name: str) -> str:
    """A value as a person reads it on this page (never raises)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    labels = dict(choices)
    if str(value) in labels:
        return labels[str(value)]
    locale = metadata.locale()
    if isinstance(value, int | float):
        if name.rpartition(".")[2] == "value" or "R$" in str(schema.get("title") or ""):
            return money(value, locale)
        return format_decimal(value, locale=locale)
    if isinstance(value, str) and (schema.get("format") == "date" or ISO_DAY.match(value)):
        return day(value, locale)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _value_at(mapped: Any, name: str) -> Any:
    if not isinstance(mapped, dict):
        return None
    parent, dot, key = name.partition(".")
    if dot and isinstance(mapped.get(parent), dict):
        return mapped[parent].get(key)
    return None if dot else mapped.get(name)


def step_view(session: Session, step: dict[str, Any], shown: dict[str, Any], index: int,
              spec: StepSpec | None = None) -> StepView:
    """``shown`` is the dry run's step (``preview_spec``): ``input`` and ``problems`` ("target: message")."""
    found = metadata.action_of(step.get("action", ""))
    view = StepView(index, str(step.get("key") or ""), str(step.get("action") or ""),
                    metadata.title(found[0], found[1]) if found else str(step.get("action")),
                    metadata.title(found[0]) if found else "", str(step.get("connection") or ""))
    mapped = shown.get("input")
    rows: list[Row] = []
    for choice in data.step_choices(session, step):
        value = _value_at(mapped, choice.name)
        options = [(str(o["value"]), str(o.get("label") or o["value"])) for o in choice.options]
        rows.append(Row(choice.name, choice.label, show(value, {}, options, choice.name), chosen=True,
                        required=True))
    targets, _problem = data.step_targets(session, step)
    for target in targets:
        value = _value_at(mapped, target.name)
        rows.append(Row(target.name, target.label, show(value, target.schema, target.choices, target.name),
                        required=target.required))
    known = {r.name for r in rows}
    if isinstance(mapped, dict) and found is not None:
        for name, value in mapped.items():
            if name not in known and not isinstance(value, dict):
                label = metadata.property_text(found[0], found[1].input_schema, name)[0]
                schema = (found[1].input_schema.get("properties") or {}).get(name) or {}
                rows.append(Row(name, label, show(value, schema, [], name)))
    earlier = {target: ref_step for target, _source, ref_step, _loc in spec.mapping.step_references()} if spec else {}
    for row in rows:
        row.from_step = earlier.get(row.name, "")
    by_name = {r.name: r for r in rows}
    for problem in shown.get("problems") or []:
        where, sep, message = str(problem).partition(": ")
        if sep and where in by_name:
            row = by_name[where]
            row.problem = "; ".join(x for x in (row.problem, engine_text(message)) if x)
        else:
            view.problems.append(engine_text(str(problem)))
    view.rows = [r for r in rows if r.value or r.problem or r.required]
    view.problems += [_("%(field)s: %(message)s", field=r.label, message=r.problem) for r in view.rows if r.problem]
    return view


def intent(session: Session, view: StepView) -> str:
    """"ZapSign: Criar documento a partir de modelo, na conta “ZapSign”: Modelo: Contrato; Nome: Maria"."""
    named = sorted((r for r in view.rows if r.value and not r.from_step),
                   key=lambda r: (not r.chosen, "." in r.name, not r.required))[:INTENT_FIELDS]
    details = "; ".join(f"{r.label}: {r.value}" for r in named)
    head = _("%(service)s: %(action)s, with the account “%(account)s”", service=view.service,
             action=view.title, account=view.connection)
    return f"{head} — {details}" if details else head


def outcome_view(outcome: trial.StepOutcome) -> OutcomeView:
    found = metadata.action_of(outcome.action)
    title = metadata.qualified_title(found[0], found[1]) if found else outcome.action
    view = OutcomeView(outcome.key, title, outcome.status, output=outcome.output)
    if outcome.status == "succeeded" and isinstance(outcome.output, dict):
        view.summary = metadata.summary(outcome.action, outcome.output, action=True)
        view.links = [str(v) for v in outcome.output.values() if isinstance(v, str) and URL.match(v)]
    if outcome.error:
        view.error = engine_text(outcome.error)
        view.kind = error_kind_label(outcome.kind) if outcome.kind else ""
    return view
