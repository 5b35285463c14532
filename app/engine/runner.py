"""Execute one run: trigger output → filters → steps, recording every step as a row.

The state machine (``runs.status``)::

    queued ──claim──▶ running ──▶ succeeded | filtered | skipped | failed
                        │  ▲
        transient error ▼  │ next_attempt_at reached
                      retrying

Exactly-once effects rest on three rules: a step that succeeded is never run again (its stored
output is reused); a step's row (with its attempt count) is committed *before* the action is called,
so a crash leaves evidence; and the action gets an idempotency key stable across attempts
(``ponte-<run>-<position>``) plus ``attempt > 1``, which tells it to look for its own earlier result
before writing again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import hooks
from app.engine.compiled import compiled_recipe
from app.engine.mapping import MappingError, check_required
from app.engine.retry import RetryPolicy
from app.logs import run_id_var, step_var
from app.models import Connection, Event, Recipe, Run, Step, utcnow
from app.vault import REDACTOR
from connectors import registry
from connectors.sdk import ConfigError, ConnectorError, Context, PermanentError, SkipError, TransientError

log = logging.getLogger("ponte.engine.runner")

TRIGGER_STEP = "trigger"
FINAL = frozenset({"succeeded", "filtered", "skipped", "failed"})


@dataclass
class RunSettings:
    """Knobs the app passes in: ``retry_scale`` shrinks retry delays for the demo and tests."""

    retry_scale: float = 1.0
    sleep: Callable[[float], None] | None = None


class MappingFailed(PermanentError):
    """The mapped input cannot satisfy the action (a required value missing, a formatter failed)."""

    kind = "mapping"


class StepFailed(Exception):
    """Carries the typed error of a step up to the run level, with its step and connection."""

    def __init__(self, error: Exception, step: Step, connection: Connection | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.step = step
        self.connection = connection


def idempotency_key(run: Run, position: int) -> str:
    return f"ponte-{run.id}-{position}"


def execute_run(session: Session, run_id: int, settings: RunSettings | None = None) -> str:
    """Run (or resume) ``run_id`` to its next resting state and return that status.

    The caller has claimed the run (status ``running``, lease held). Every state change is
    committed as it happens, so a crash at any point leaves the run resumable.
    """
    run_token, step_token = run_id_var.set(run_id), step_var.set(None)
    try:
        return _execute(session, run_id, settings or RunSettings())
    finally:
        run_id_var.reset(run_token)
        step_var.reset(step_token)


def _execute(session: Session, run_id: int, settings: RunSettings) -> str:
    run = session.get(Run, run_id)
    if run is None or run.status in FINAL:
        return run.status if run else "missing"
    recipe = session.get(Recipe, run.recipe_id)
    spec = compiled_recipe(session, recipe, run.recipe_version)
    policy = RetryPolicy.from_dict(spec.retry, scale=settings.retry_scale)
    run.started_at = run.started_at or utcnow()
    run.max_attempts = policy.max_attempts
    session.commit()

    steps = {s.position: s for s in session.scalars(select(Step).where(Step.run_id == run.id))}
    try:
        output = _trigger_step(session, run, recipe, spec, steps, settings)
        if spec.filters is not None:
            verdict = spec.filters.evaluate(output)
            run.filter_result = verdict.to_dict()
            if not verdict.passed:
                return _finish(session, run, "filtered")
        doc: dict[str, Any] = {**output, "steps": {}}
        for position, step_spec in enumerate(spec.steps, start=1):
            doc["steps"][step_spec.key] = _action_step(
                session, run, step_spec, position, steps.get(position), doc, settings
            )
        return _finish(session, run, "succeeded")
    except StepFailed as failure:
        return _handle_failure(session, run, recipe, policy, failure)


def _trigger_step(session, run, recipe, spec, steps, settings) -> dict[str, Any]:  # noqa: ANN001
    """Position 0: the trigger's output (e.g. the payment enriched with its customer)."""
    existing = steps.get(0)
    if existing is not None and existing.status == "succeeded":
        run.trigger_output = existing.output
        return existing.output
    event = session.get(Event, run.event_id) if run.event_id else None
    payload = event.payload if event is not None else (run.trigger_output or {})
    connector, trigger = registry.get_trigger(spec.trigger.event)
    connection = session.get(Connection, recipe.trigger_connection_id)
    step = _begin_step(session, run, 0, TRIGGER_STEP, spec.trigger.event, existing, payload)
    ctx = _context(connection, run, step, settings)

    def produce() -> dict[str, Any]:
        return trigger.output(ctx, payload, spec.trigger.options or {})

    output = _call(session, step, produce, connection)
    run.trigger_output = output
    session.commit()
    return output


def _action_step(session, run, step_spec, position, existing, doc, settings) -> Any:  # noqa: ANN001
    if existing is not None and existing.status == "succeeded":
        return existing.output
    _, action = registry.get_action(step_spec.action)
    step = _begin_step(session, run, position, step_spec.key, step_spec.action, existing, None)
    try:
        mapped = step_spec.mapping.apply(doc)
        step.input = mapped.value
        problems = check_required(mapped.value, action.input_schema, mapped.missing)
        if problems:
            raise MappingFailed("; ".join(str(p) for p in problems))
        connection = _connection_by_name(session, step_spec.connection)
    except (MappingError, MappingFailed, ConfigError) as exc:
        error = exc if isinstance(exc, ConnectorError) else MappingFailed(str(exc))
        _end_step(session, step, "failed", error=error.user_message, kind=error.kind)
        raise StepFailed(error, step, None) from None
    ctx = _context(connection, run, step, settings)
    return _call(session, step, lambda: action.run(ctx, mapped.value), connection)


def _begin_step(session, run, position, key, action_key, existing, step_input) -> Step:  # noqa: ANN001
    """Record the attempt *before* calling out, so a crash leaves the attempt count behind."""
    step_var.set(key)
    step = existing or Step(run_id=run.id, position=position, key=key, action_key=action_key, attempt=0)
    step.attempt += 1
    step.status = "running"
    step.input = step_input
    step.error = None
    step.error_kind = None
    step.idempotency_key = idempotency_key(run, position) if existing is None else step.idempotency_key
    step.started_at = utcnow()
    session.add(step)
    session.commit()
    return step


def _end_step(session, step, status, *, output=None, error=None, kind=None) -> None:  # noqa: ANN001
    step.status = status
    step.output = output
    step.error = error
    step.error_kind = kind
    step.finished_at = utcnow()
    if step.started_at is not None:
        step.duration_ms = int((step.finished_at - _aware(step.started_at)).total_seconds() * 1000)
    session.commit()


def _call(session, step, fn, connection) -> Any:  # noqa: ANN001
    """Call the connector and record the outcome on the step; typed errors go up as StepFailed."""
    started = time.monotonic()
    try:
        output = fn()
    except ConnectorError as exc:
        status = "skipped" if isinstance(exc, SkipError) else (
            "retrying" if isinstance(exc, TransientError) else "failed")
        _end_step(session, step, status, error=_clean(exc.user_message), kind=exc.kind)
        log.warning("step %s failed (%s): %s", step.key, exc.kind, _clean(exc.internal_message))
        raise StepFailed(exc, step, connection) from None
    except Exception as exc:  # noqa: BLE001 - a connector bug must fail the run, not lose it
        log.exception("step %s raised an unexpected error", step.key)
        message = f"internal error in {step.action_key}: {exc.__class__.__name__}: {exc}"
        _end_step(session, step, "failed", error=_clean(message), kind="internal")
        raise StepFailed(exc, step, connection) from None
    _end_step(session, step, "succeeded", output=output)
    log.info("step %s succeeded in %.0f ms", step.key, (time.monotonic() - started) * 1000)
    return output


def _handle_failure(session, run, recipe, policy: RetryPolicy, failure: StepFailed) -> str:  # noqa: ANN001
    error = failure.error
    message = failure.step.error or str(error)
    run.error = f"{failure.step.key}: {message}"
    run.error_kind = getattr(error, "kind", "internal")
    if isinstance(error, SkipError):
        return _finish(session, run, "skipped")
    if isinstance(error, TransientError) and not policy.exhausted(run.attempt):
        delay = policy.delay(run.attempt, error.retry_after)
        run.status = "retrying"
        run.next_attempt_at = utcnow() + timedelta(seconds=delay)
        run.lease_owner = None
        run.lease_expires_at = None
        session.commit()
        log.info("run %s will retry in %.0f s (attempt %s of %s)", run.id, delay, run.attempt, run.max_attempts)
        return "retrying"
    if isinstance(error, TransientError):
        run.error = f"gave up after {run.attempt} attempts: {run.error}"
    if isinstance(error, ConfigError) and failure.connection is not None:
        _flag_connection(session, failure.connection, failure.step.error or str(error))
    status = _finish(session, run, "failed")
    hooks.fire("run_failed", run_id=run.id, recipe_id=recipe.id, recipe_key=recipe.key, error=run.error)
    return status


def _flag_connection(session: Session, connection: Connection, message: str) -> None:
    """Credentials or plan rejected: mark the connection so the UI shows it, and tell people."""
    connection.status = "error"
    connection.status_message = message
    session.commit()
    hooks.fire("connection_rejected", connection_id=connection.id, name=connection.name, error=message)


def fail_run(session: Session, run_id: int, message: str) -> str:
    """Mark a run failed from outside the state machine (the runner itself crashed)."""
    run = session.get(Run, run_id)
    run.error = message
    run.error_kind = "internal"
    status = _finish(session, run, "failed")
    recipe = session.get(Recipe, run.recipe_id)
    hooks.fire("run_failed", run_id=run.id, recipe_id=recipe.id, recipe_key=recipe.key, error=message)
    return status


def _finish(session, run, status: str) -> str:  # noqa: ANN001
    run.status = status
    if status in ("succeeded", "filtered"):
        run.error = None  # an earlier attempt's error no longer describes the run
        run.error_kind = None
    run.finished_at = utcnow()
    run.next_attempt_at = None
    run.lease_owner = None
    run.lease_expires_at = None
    session.commit()
    log.info("run %s %s", run.id, status)
    return status


def _context(connection: Connection, run: Run, step: Step, settings: RunSettings) -> Context:
    return Context(
        config=connection.config(),
        logger=logging.getLogger(f"ponte.connector.{connection.connector_key}"),
        idempotency_key=step.idempotency_key,
        attempt=step.attempt,
        connection_name=connection.name,
        sleep=settings.sleep,
    )


def _connection_by_name(session: Session, name: str) -> Connection:
    connection = session.scalar(select(Connection).where(Connection.name == name))
    if connection is None:
        raise ConfigError(f"connection {name!r} does not exist (create it, or fix the recipe)")
    return connection


def _clean(message: str) -> str:
    """Strip secrets (the connection's are registered when decrypted) from a stored message."""
    return REDACTOR.text(message)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything Ponte stores is UTC."""
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
