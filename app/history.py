"""Run history as data: one serializer the API, the CLI and the pages share (secrets redacted)."""

from __future__ import annotations

from typing import Any

from app.models import Run, Step
from app.vault import REDACTOR


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def step_to_dict(step: Step) -> dict[str, Any]:
    return REDACTOR({
        "position": step.position, "key": step.key, "action": step.action_key, "status": step.status,
        "attempt": step.attempt, "idempotency_key": step.idempotency_key, "input": step.input,
        "output": step.output, "error": step.error, "error_kind": step.error_kind,
        "started_at": _time(step.started_at), "finished_at": _time(step.finished_at),
        "duration_ms": step.duration_ms,
    })


def run_to_dict(run: Run, *, steps: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": run.id, "recipe": run.recipe.key if run.recipe else None, "recipe_version": run.recipe_version,
        "event_id": run.event_id, "event_type": run.event.event_type if run.event else None,
        "status": run.status, "attempt": run.attempt, "max_attempts": run.max_attempts,
        "next_attempt_at": _time(run.next_attempt_at), "error": REDACTOR.text(run.error) if run.error else None,
        "error_kind": run.error_kind, "filter_result": run.filter_result, "replay_of": run.replay_of_id,
        "created_at": _time(run.created_at), "started_at": _time(run.started_at),
        "finished_at": _time(run.finished_at), "references": run.refs or {},
    }
    if steps:
        data["trigger_output"] = REDACTOR(run.trigger_output)
        data["steps"] = [step_to_dict(s) for s in sorted(run.steps, key=lambda s: s.position)]
    return data
