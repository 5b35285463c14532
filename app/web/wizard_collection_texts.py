"""The collection-rule wizard's "Reminder texts" screen: each day's subject and body, editable, with
"+ insert" placeholders and a live preview (htmx) on the trigger's sample payment.

A day starts with its template's words (``app.collection.texts.default_text``); a day whose text is
left as it started keeps sending the shipped template, so nothing changes for who never edits. A
problem (an unknown placeholder, a ``{% ... %}``) is shown at its field, in the page's language,
and what was typed is kept. What is saved is a ``map`` lookup by day, as ``app.collection.rule``
writes it (see :func:`app.collection.rule.email_input`).
"""

from __future__ import annotations

import re
from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from app.collection import rule, texts
from app.collection.preview import TRIGGER_KEY
from app.engine.mapping import compile_mapping
from app.web import bp
from connectors import registry
from connectors.mail.templates import render_html
from connectors.sdk import ConnectorError


def _state(document: dict[str, Any]) -> tuple[dict[int, str], dict[int, tuple[str, str]]] | None:
    days = rule.days_of(document)
    return rule.read_steps((rule.email_step(document) or {}).get("input"), days)


def problem_text(problem: texts.Problem) -> str:
    """A text problem in the page's language."""
    if problem.code == "empty":
        return _("Write something here.")
    if problem.code == "too_long":
        return _("At most %(n)s characters.", n=problem.value)
    if problem.code == "placeholder_in_subject":
        return _("The subject is sent as written: placeholders such as {{ name }} go in the message.")
    if problem.code == "unknown":
        return _("{{ %(name)s }} is not a placeholder here; use one of: %(names)s.", name=problem.value,
                 names=", ".join(texts.PLACEHOLDERS))
    if problem.code == "statement":
        return _("Only placeholders such as {{ name }} are allowed, not “%(found)s”.", found=problem.value.strip())
    return _("A placeholder is not closed: write it as {{ name }}.")


def read_form(draft: dict[str, Any], form: Any) -> tuple[dict[int, tuple[str, str]], dict[str, str]]:
    """The texts typed per day (only days of the rule) and the problems by field name."""
    state = _state(draft["document"])
    typed: dict[int, tuple[str, str]] = {}
    problems: dict[str, str] = {}
    for day in (state[0] if state else {}):
        subject = texts.normalise(form.get(f"subject_{day}", ""))
        body = texts.normalise(form.get(f"body_{day}", ""))
        typed[day] = (subject, body)
        for name, found in ((f"subject_{day}", texts.check_subject(subject)), (f"body_{day}", texts.check_body(body))):
            if found is not None:
                problems[name] = problem_text(found)
    return typed, problems


def apply_texts(draft: dict[str, Any], form: Any) -> list[str]:
    """Keep what was typed; write the days' own texts when every field is fine."""
    state = _state(draft["document"])
    if state is None:  # the e-mail was edited by hand: nothing to edit here
        return []
    typed, problems = read_form(draft, form)
    if problems:
        draft["pending_texts"] = {str(day): list(text) for day, text in typed.items()}
        draft["text_errors"] = problems
        return [_("Some reminder texts need a fix; see the fields marked below.")] if form.get("go") == "next" else []
    templates = state[0]
    own = {day: text for day, text in typed.items()
           if text != texts.default_text(rule.TEMPLATES[templates[day]], day)}
    rule.set_steps(draft["document"], sorted(templates), templates, own)
    draft.pop("pending_texts", None)
    draft.pop("text_errors", None)
    return []


def _sample(day: int) -> dict[str, Any]:
    _, trigger = registry.get_trigger(TRIGGER_KEY)
    sample = dict(trigger.sample)
    due = str(sample["reminder"]["due_date"])
    return {**sample, "reminder": {"offset": day, "phase": rule.phase(day), "days": abs(day), "due_date": due},
            "steps": {}}


def rendered(templates: dict[int, str], typed: dict[int, tuple[str, str]], day: int) -> dict[str, str]:
    """Subject and HTML body the sample payment would get on ``day`` (the body inside ``<body>``)."""
    own = {d: t for d, t in typed.items() if d == day}
    fields = rule.email_input({day: templates[day]}, own)
    mapped = compile_mapping(fields, where="wizard").apply(_sample(day)).value
    page = render_html(str(mapped["html_template"]), dict(mapped.get("variables") or {}))
    inner = re.search(r"<body[^>]*>(.*)</body>", page, re.S)
    return {"subject": str(mapped["subject"]), "html": inner.group(1) if inner else page}


def texts_context(draft: dict[str, Any]) -> dict[str, Any]:
    state = _state(draft["document"])
    if state is None:
        return {"custom": True, "days": []}
    templates, own = state
    pending = {int(k): tuple(v) for k, v in (draft.get("pending_texts") or {}).items()}
    days = []
    for day in sorted(templates):
        locale = rule.TEMPLATES[templates[day]]
        subject, body = pending.get(day) or own.get(day) or texts.default_text(locale, day)
        days.append({"day": day, "code": rule.day_code(day), "subject": subject, "body": body,
                     "edited": day in own})
    sample = rendered_variables()
    return {"custom": False, "days": days, "errors_by_field": draft.get("text_errors") or {},
            "placeholders": [(name, sample.get(name, "")) for name in texts.PLACEHOLDERS]}


def rendered_variables() -> dict[str, str]:
    """The placeholders' values on the sample payment (shown beside each "+ insert" chip)."""
    fields = rule.template_fields(rule.DEFAULT_TEMPLATE)
    mapped = compile_mapping(fields, where="wizard").apply(_sample(-5)).value
    return {k: str(v) for k, v in (mapped.get("variables") or {}).items()}


@bp.post("/automations/wizard/<draft_id>/reminder-texts")
@login_required
def wizard_reminder_preview(draft_id: str) -> ResponseReturnValue:
    """htmx: the texts as typed on the sample payment, and each field's problem (swapped out of band)."""
    from app.web.wizard import _draft_or_404

    draft = _draft_or_404(draft_id)
    state = _state(draft["document"])
    typed, problems = read_form(draft, request.form)
    previews = []
    for day in sorted(state[0] if state else {}):
        failed = problems.get(f"subject_{day}") or problems.get(f"body_{day}")
        item: dict[str, Any] = {"day": day, "code": rule.day_code(day), "problem": failed}
        if not failed and state is not None:
            try:
                item.update(rendered(state[0], typed, day))
            except ConnectorError as exc:  # the sandbox refused the template
                item["problem"] = exc.user_message
        previews.append(item)
    return render_template("wizard/_reminder_preview.html", previews=previews, problems=problems,
                           days=sorted(state[0]) if state else [])
