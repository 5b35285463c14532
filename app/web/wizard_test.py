"""The wizard's "Test" panel (finish screen): a real event or the sample, each step's input as labelled
fields, and "send for real" after a confirmation that says, in words, what each step will do.

The engine side (samples, the send, its once-per-test guarantee and its audit record) is
:mod:`app.engine.trial`; this module only chooses, labels and formats. A test is not a run: it is
not listed with the runs and never counts as a failure on the dashboard.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flask import abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import get_session
from app.engine import trial
from app.engine.fence import RunSettings
from app.engine.loader import load_recipe_document
from app.engine.locks import LockTimeout
from app.engine.preview import preview_spec
from app.engine.spec import RecipeSpec
from app.models import Event, Run
from app.web import bp, drafts, metadata
from app.web import wizard_data as data
from app.web import wizard_test_fields as fields
from app.web.engine_text import engine_text
from connectors.sdk import ConnectorError

RECENT_EVENTS = 5
log = logging.getLogger("ponte.web.wizard_test")


@dataclass
class Sample:
    """One entry of the chooser: ``ref`` is ``event:<id>`` or ``sample``."""

    ref: str
    label: str


@dataclass
class Panel:
    """What the panel shows for the chosen sample (``problem``: why it cannot be tested now)."""

    samples: list[Sample]
    chosen: str
    spec: RecipeSpec | None = None
    output: dict[str, Any] | None = None
    steps: list[fields.StepView] = field(default_factory=list)
    filters: dict[str, Any] | None = None
    problem: str = ""
    key: str = ""

    @property
    def ready(self) -> bool:
        return self.spec is not None and not self.problem and all(not s.problems for s in self.steps)


def _document(draft: dict[str, Any]) -> dict[str, Any]:
    document = draft["document"]
    return {**document, "key": document.get("key") or "wizard_test", "name": document.get("name") or "test"}


def _trigger(document: dict[str, Any]) -> tuple[str, Any, dict[str, Any]]:
    trigger = document.get("trigger") or {}
    session = get_session()
    return (trigger.get("event") or "", data.connection_named(session, trigger.get("connection") or ""),
            trigger.get("options") or {})


def samples(session: Session, document: dict[str, Any]) -> tuple[list[Sample], list[Event]]:
    """The trigger's last real events on its connection (by their summary and day), then the sample."""
    event_key, connection, options = _trigger(document)
    events = trial.recent_events(session, event_key, connection, options, limit=RECENT_EVENTS)
    outputs = _run_outputs(session, [e.id for e in events])
    found = metadata.trigger_of(event_key)
    title = metadata.title(*found) if found is not None else event_key
    out = []
    for event in events:
        # The trigger's line about the event (a run's stored output says most; the raw delivery may do),
        # else the trigger's title and the event's number: never the service's raw event name.
        line = metadata.summary(event_key, outputs.get(event.id) or event.payload) or f"{title} #{event.id}"
        out.append(Sample(f"event:{event.id}", f"{line} · {fields.day_of(event.received_at)}"))
    out.append(Sample(trial.SAMPLE, _("The connector's sample event (made-up data)")))
    return out, events


def _run_outputs(session: Session, event_ids: list[int]) -> dict[int, Any]:
    """The stored trigger output of the latest run of each event (for a fuller summary line)."""
    if not event_ids:
        return {}
    rows = session.execute(select(Run.event_id, Run.trigger_output).where(
        Run.event_id.in_(event_ids), Run.trigger_output.is_not(None)).order_by(Run.id))
    return {event_id: output for event_id, output in rows}


def build_panel(draft: dict[str, Any], chosen: str) -> Panel:
    session = get_session()
    document = _document(draft)
    choices, events = samples(session, document)
    refs = [s.ref for s in choices]
    chosen = chosen if chosen in refs else refs[0]
    panel = Panel(choices, chosen)
    spec, errors = load_recipe_document(document, source="<wizard>")
    if spec is None:
        panel.problem = "; ".join(str(e) for e in errors)
        return panel
    panel.spec = spec
    event_key, connection, options = _trigger(document)
    try:
        panel.output = _output(document, connection, options, chosen, events)
    except ConnectorError as exc:
        panel.problem = _("%(service)s could not be read for this event: %(message)s",
                          service=_service(event_key), message=engine_text(exc.user_message))
        return panel
    except Exception:  # noqa: BLE001 - an event the trigger cannot read is shown, never a 500
        log.warning("test panel: the trigger could not read %s", chosen, exc_info=True)
        panel.problem = _("This event cannot be read by its trigger; choose another one.")
        return panel
    result = preview_spec(spec, panel.output)
    panel.filters = result["filters"]
    specs = list(spec.steps)
    panel.steps = [fields.step_view(session, step, shown, index, specs[index] if index < len(specs) else None)
                   for index, (step, shown) in enumerate(zip(document.get("steps") or [], result["steps"],
                                                             strict=False))]
    panel.key = trial.test_key(draft["id"], chosen, [[s.get("key"), s.get("action"), s.get("connection"),
                                                      shown["input"]] for s, shown in
                                                     zip(document.get("steps") or [], result["steps"], strict=False)])
    return panel


def _output(document: dict[str, Any], connection: Any, options: dict[str, Any], chosen: str,
            events: list[Event]) -> dict[str, Any]:
    """The chosen event as a run's trigger output, or the trigger's sample (a schedule's next firing)."""
    trigger = document.get("trigger") or {}
    if chosen.startswith("event:"):
        event = next(e for e in events if f"event:{e.id}" == chosen)
        return trial.event_output(event, trigger.get("event") or "", connection, options, locale=metadata.locale())
    payload, _run = data.source_document(get_session(), {**document, "trigger": {**trigger, "connection": ""}})
    return dict(payload)


def _service(qualified: str) -> str:
    connector = data.connector_of(qualified)
    return metadata.title(connector) if connector is not None else qualified


def _draft(draft_id: str) -> dict[str, Any]:
    draft = drafts.load_draft(draft_id, current_user.id)
    if draft is None:
        abort(404)
    return draft


@bp.get("/automations/wizard/<draft_id>/test")
@login_required
def wizard_test(draft_id: str) -> ResponseReturnValue:
    """htmx: the panel for the chosen sample (the newest real event first)."""
    panel = build_panel(_draft(draft_id), request.args.get("sample", ""))
    return render_template("wizard/_test.html", draft_id=draft_id, panel=panel)


@bp.get("/automations/wizard/<draft_id>/test/confirm")
@login_required
def wizard_test_confirm(draft_id: str) -> ResponseReturnValue:
    """htmx: what "send for real" will create, in words, and the one button that does it."""
    panel = build_panel(_draft(draft_id), request.args.get("sample", ""))
    if not panel.ready:
        return render_template("wizard/_test.html", draft_id=draft_id, panel=panel), 409
    return render_template("wizard/_test_confirm.html", draft_id=draft_id, panel=panel,
                           intents=[fields.intent(get_session(), s) for s in panel.steps])


@bp.post("/automations/wizard/<draft_id>/test/send")
@login_required
def wizard_test_send(draft_id: str) -> ResponseReturnValue:
    """Run every step for real, once for this draft, sample and inputs (a double click shows the first
    send's result); refused (409) when what was confirmed is no longer what would be sent."""
    panel = build_panel(_draft(draft_id), request.form.get("sample", ""))
    if not panel.ready or panel.spec is None or panel.output is None:
        return render_template("wizard/_test.html", draft_id=draft_id, panel=panel), 409
    if request.form.get("key") != panel.key or request.form.get("sample") != panel.chosen:
        return render_template("wizard/_test.html", draft_id=draft_id, panel=panel,
                               notice=_("The automation or the event changed since you confirmed: review the "
                                        "input below and confirm again.")), 409
    settings = RunSettings(retry_scale=float(current_app.config.get("RETRY_DELAY_SCALE", 1.0)))
    try:
        result = trial.send(get_session(), panel.spec, panel.output, panel.key, actor=current_user.email,
                            sample=panel.chosen, settings=settings)
    except LockTimeout:
        return render_template("wizard/_test.html", draft_id=draft_id, panel=panel,
                               notice=_("This test is still being sent from another click or tab: wait a "
                                        "moment, then send it again to see its result.")), 409
    return render_template("wizard/_test_result.html", draft_id=draft_id, panel=panel, result=result,
                           outcomes=[fields.outcome_view(o) for o in result.steps])
