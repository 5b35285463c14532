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

Writes are fenced by the run's lease (:mod:`app.engine.fence`): a worker whose claim was lost
changes nothing. Waits are scheduled in the database, never slept in a thread: a failed attempt
retries after the recipe's backoff; a rate limit or a deferral (an action that cannot decide yet
without risking a second effect) comes back after the time asked and does not use up an attempt,
up to ``defer_limit_seconds``; a destination whose slots in this process are full
(:mod:`app.engine.slots`) hands the run back for a moment so the thread serves another recipe.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import hooks, references, stepio
from app.engine.compiled import RecipeUnusable, compiled_recipe
from app.engine.fence import LeaseLost, RunSettings, commit_outcome, heartbeat
from app.engine.fence import commit as _commit
from app.engine.mapping import MappingError, check_required
from app.engine.retry import RetryPolicy
from app.engine.slots import SLOTS, DestinationBusy
from app.engine.spec import RecipeSpec, StepSpec
from app.engine.stepio import chain_started_at
from app.logcontext import run_id_var, step_var
from app.models import Connection, Event, Recipe, Run, Step, utcnow
from app.vault import REDACTOR
from connectors import registry
from connectors.sdk import (
    Action,
    ConfigError,
    ConnectorError,
    DeferredError,
    PermanentError,
    RateLimitedError,
    SkipError,
    TransientError,
)

log = logging.getLogger("ponte.engine.runner")

TRIGGER_STEP = "trigger"
FINAL = frozenset({"succeeded", "filtered", "skipped", "failed"})


MAX_ERROR_CHARS = 2000
MAX_INTERRUPTIONS = 3  # claims beyond max_attempts that never reached a resting state
BUSY_RETRY_SECONDS = (0.5, 2.0)  # a run whose destination is full comes back within this, unscaled
NO_EFFECT = (DeferredError, RateLimitedError)  # the action or the service says nothing was written
__all__ = ["LeaseLost", "RunSettings", "execute_run", "fail_run"]


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


def execute_run(session: Session, run_id: int, settings: RunSettings | None = None,
                attempt: int | None = None) -> str:
    """Run (or resume) ``run_id`` to its next resting state and return that status.

    The caller has claimed the run (status ``running``, lease held) as its ``attempt``: the claim
    the fence checks (another thread of the same worker reclaiming it makes a new attempt). Every
    state change is committed as it happens, so a crash at any point leaves the run resumable.
    """
    run_token, step_token = run_id_var.set(run_id), step_var.set(None)
    try:
        return _execute(session, run_id, settings or RunSettings(), attempt)
    finally:
        run_id_var.reset(run_token)
        step_var.reset(step_token)


def _execute(session: Session, run_id: int, settings: RunSettings, attempt: int | None) -> str:
    run = session.get(Run, run_id)
    if run is None or run.status in FINAL:
        return run.status if run else "missing"
    if attempt is not None and run.attempt != attempt:
        raise LeaseLost(f"run {run_id}: claimed as attempt {attempt}, now at attempt {run.attempt}")
    if _failed_attempts(run) > run.max_attempts + MAX_INTERRUPTIONS:
        # Claimed again and again without ever reaching a resting state: its worker dies on it.
        run.error = (f"gave up after {run.attempt} attempts: the worker stopped during this run each time "
                     "(killed, out of memory?); see the worker's logs, then replay it")
        run.error_kind = "internal"
        return _give_up(session, run, _recipe_of(session, run), settings)
    recipe = _recipe_of(session, run)
    run.started_at = run.started_at or utcnow()
    if not recipe.enabled:
        # Turning a recipe off stops its queued and retrying runs too; a replay resumes them.
        run.error = "recipe disabled before this run could go on; enable it and replay the run"
        run.error_kind = "disabled"
        return _finish(session, run, "skipped", settings)
    try:
        spec = compiled_recipe(session, recipe, run.recipe_version)
    except RecipeUnusable as exc:
        run.error = _clean(f"recipe {recipe.key} v{run.recipe_version} cannot run: {exc}")
        run.error_kind = "config"
        return _give_up(session, run, recipe, settings)
    policy = RetryPolicy.from_dict(spec.retry, scale=settings.retry_scale)
    run.max_attempts = policy.max_attempts
    _commit(session, run, settings)

    steps = {s.position: s for s in session.scalars(select(Step).where(Step.run_id == run.id))}
    since = chain_started_at(session, run)
    try:
        output = _trigger_step(session, run, recipe, spec, steps, settings, since)
        if spec.filters is not None:
            verdict = spec.filters.evaluate(output)
            run.filter_result = verdict.to_dict()
            if not verdict.passed:
                return _finish(session, run, "filtered", settings)
        doc: dict[str, Any] = {**output, "steps": {}}
        for position, step_spec in enumerate(spec.steps, start=1):
            doc["steps"][step_spec.key] = _action_step(
                session, run, step_spec, position, steps.get(position), doc, settings, since
            )
        return _finish(session, run, "succeeded", settings)
    except StepFailed as failure:
        return _handle_failure(session, run, recipe, policy, failure, settings)
    except DestinationBusy as busy:
        # Not this run's failure: its next call would wait on a full destination. Back to the queue.
        log.debug("run %s: %s; back to the queue", run.id, busy)
        return _defer(session, run, settings, random.uniform(*BUSY_RETRY_SECONDS))


def _trigger_step(session: Session, run: Run, recipe: Recipe, spec: RecipeSpec, steps: dict[int, Step],
                  settings: RunSettings, since: datetime) -> dict[str, Any]:
    """Position 0: the trigger's output (e.g. the payment enriched with its customer)."""
    existing = steps.get(0)
    if existing is not None and existing.status == "succeeded":
        run.trigger_output = existing.output
        references.record(session, run, spec.trigger.event, existing.output)
        return existing.output or {}
    event = session.get(Event, run.event_id) if run.event_id else None
    payload = event.payload if event is not None else (run.trigger_output or {})
    connector, trigger = registry.get_trigger(spec.trigger.event)
    connection = (session.get(Connection, recipe.trigger_connection_id)
                  if recipe.trigger_connection_id is not None else None)
    destination = connection.name if connection is not None else spec.trigger.event
    with SLOTS.hold(destination, settings.destination_limit):
        step = _begin_step(session, run, 0, TRIGGER_STEP, spec.trigger.event, existing, payload, settings)

        def produce() -> dict[str, Any]:
            ctx = stepio.context(connection, step, settings, since, session.get_bind())
            produced: dict[str, Any] = trigger.output(ctx, payload, spec.trigger.options or {})
            return produced

        output = _call(session, run, step, produce, connection, settings)
    run.trigger_output = stepio.for_storage(output, spec.trigger.event)
    references.record(session, run, spec.trigger.event, output)
    _commit(session, run, settings)
    return dict(output)


def _action_step(session: Session, run: Run, step_spec: StepSpec, position: int, existing: Step | None,
                 doc: dict[str, Any], settings: RunSettings, since: datetime) -> Any:
    if existing is not None and existing.status == "succeeded":
        return existing.output
    _, action = registry.get_action(step_spec.action)
    with SLOTS.hold(step_spec.connection, settings.destination_limit):
        return _run_action(session, run, step_spec, position, existing, doc, settings, since, action)


def _run_action(session: Session, run: Run, step_spec: StepSpec, position: int, existing: Step | None,
                doc: dict[str, Any], settings: RunSettings, since: datetime, action: Action) -> Any:
    step = _begin_step(session, run, position, step_spec.key, step_spec.action, existing, None, settings)
    try:
        mapped = step_spec.mapping.apply(doc)
        step.input = stepio.for_storage(mapped.value, step_spec.action)
        problems = check_required(mapped, action.input_schema, mapped.missing)
        if problems:
            raise MappingFailed("; ".join(str(p) for p in problems))
        connection = _connection_by_name(session, step_spec.connection)
    except (MappingError, MappingFailed, ConfigError) as exc:
        error = exc if isinstance(exc, ConnectorError) else MappingFailed(str(exc))
        _end_step(session, run, step, "failed", settings, error=_clean(error.user_message), kind=error.kind)
        raise StepFailed(error, step, None) from None

    def act() -> Any:
        return action.run(stepio.context(connection, step, settings, since, session.get_bind()), mapped.value)

    return _call(session, run, step, act, connection, settings)


def _begin_step(session: Session, run: Run, position: int, key: str, action_key: str, existing: Step | None,
                step_input: Any, settings: RunSettings) -> Step:
    """Record the attempt *before* calling out, so a crash leaves the attempt count behind."""
    step_var.set(key)
    step = existing or Step(run_id=run.id, position=position, key=key, action_key=action_key, attempt=0)
    if existing is not None and existing.status == "running":
        # Taken over from a worker that stopped mid-call: its write may have landed until now.
        step.possible_effect_at = utcnow()
        step.history = [*(step.history or []), _attempt_record(step, "interrupted", None)]
    step.attempt += 1
    step.status = "running"
    step.input = step_input
    step.error = None
    step.error_kind = None
    step.idempotency_key = idempotency_key(run, position) if existing is None else step.idempotency_key
    step.started_at = utcnow()
    session.add(step)
    _commit(session, run, settings)
    return step


def _end_step(session: Session, run: Run, step: Step, status: str, settings: RunSettings, *, output: Any = None,
              error: str | None = None, kind: str | None = None, may_have_written: bool = False) -> None:
    """Record the outcome of an attempt; kept through a database hiccup (see fence.commit_outcome)."""
    finished = utcnow()
    started = step.started_at

    def apply() -> None:
        step.status = status
        step.output = stepio.for_storage(output, step.action_key)
        step.error = error
        step.error_kind = kind
        step.finished_at = finished
        if may_have_written:
            step.possible_effect_at = finished
        if started is not None:
            step.duration_ms = int((finished - _aware(started)).total_seconds() * 1000)
        step.history = [*(step.history or []), _attempt_record(step, status, finished)]

    commit_outcome(session, run, settings, apply)


def _attempt_record(step: Step, status: str, finished: datetime | None) -> dict[str, Any]:
    """One attempt as the run page's attempts table shows it (a new list each time: JSON columns
    only notice reassignment)."""
    started = step.started_at
    return {"attempt": step.attempt, "status": status, "error": step.error if status != "succeeded" else None,
            "error_kind": step.error_kind if status != "succeeded" else None,
            "started_at": _aware(started).isoformat() if started else None,
            "finished_at": finished.isoformat() if finished else None,
            "duration_ms": step.duration_ms if finished else None}


def _call(session: Session, run: Run, step: Step, fn: Callable[[], Any], connection: Connection | None,
          settings: RunSettings) -> Any:
    """Call the connector and record the outcome on the step; typed errors go up as StepFailed.

    Everything is committed first, so no database lock (SQLite's write lock above all) is held
    while the connector waits on the network; the heartbeat keeps the lease alive meanwhile.
    """
    _commit(session, run, settings)
    started = time.monotonic()
    try:
        with heartbeat(session, run.id, run.attempt, settings):
            output = fn()
    except ConnectorError as exc:
        status = "skipped" if isinstance(exc, SkipError) else (
            "retrying" if isinstance(exc, TransientError) else "failed")
        _end_step(session, run, step, status, settings, error=_clean(exc.user_message), kind=exc.kind,
                  may_have_written=not isinstance(exc, NO_EFFECT))
        log.warning("step %s failed (%s): %s", step.key, exc.kind, _clean(exc.internal_message))
        raise StepFailed(exc, step, connection) from None
    except Exception as exc:  # noqa: BLE001 - a connector bug must fail the run, not lose it
        log.exception("step %s raised an unexpected error", step.key)
        message = f"internal error in {step.action_key}: {exc.__class__.__name__}: {exc}"
        _end_step(session, run, step, "failed", settings, error=_clean(message), kind="internal",
                  may_have_written=True)
        raise StepFailed(exc, step, connection) from None
    _end_step(session, run, step, "succeeded", settings, output=output)
    log.info("step %s succeeded in %.0f ms", step.key, (time.monotonic() - started) * 1000)
    return output


def _handle_failure(session: Session, run: Run, recipe: Recipe, policy: RetryPolicy, failure: StepFailed,
                    settings: RunSettings) -> str:
    error = failure.error
    message = failure.step.error or str(error)
    run.error = f"{failure.step.key}: {message}"
    run.error_kind = getattr(error, "kind", "internal")
    if isinstance(error, SkipError):
        return _finish(session, run, "skipped", settings)
    if isinstance(error, NO_EFFECT):
        if not _deferred_too_long(run, settings):
            asked = error.retry_after
            return _defer(session, run, settings,
                          policy.delay(1) if asked is None else max(0.0, float(asked)) * policy.scale)
        hours = settings.defer_limit_seconds / 3600
        run.error = f"could not be completed within {hours:g} h: {run.error}"
        _mark_failed(failure.step)
    elif isinstance(error, TransientError) and not policy.exhausted(_failed_attempts(run)):
        delay = policy.delay(_failed_attempts(run), error.retry_after)
        run.status = "retrying"
        run.next_attempt_at = utcnow() + timedelta(seconds=delay)
        run.lease_owner = None
        run.lease_expires_at = None
        _commit(session, run, settings)
        log.info("run %s will retry in %.0f s (attempt %s of %s)", run.id, delay, _failed_attempts(run),
                 run.max_attempts)
        return "retrying"
    elif isinstance(error, TransientError):
        run.error = f"gave up after {_failed_attempts(run)} attempts: {run.error}"
        _mark_failed(failure.step)  # no retry is coming: the step must not say "waiting to retry"
    rejected = failure.connection if isinstance(error, ConfigError) else None
    if rejected is not None:
        # Credentials or plan rejected: flag the connection for the UI, in the same fenced commit as
        # the failed run (a worker that lost the run flags nothing), then tell people.
        rejected.status = "error"
        rejected.status_message = failure.step.error or str(error)
    status = _give_up(session, run, recipe, settings)
    if rejected is not None:
        hooks.fire("connection_rejected", connection_id=rejected.id, name=rejected.name,
                   error=rejected.status_message)
    return status


def _recipe_of(session: Session, run: Run) -> Recipe:
    """The run's recipe (a foreign key: it exists while the run does)."""
    recipe = session.get(Recipe, run.recipe_id)
    assert recipe is not None, f"run {run.id} has no recipe {run.recipe_id}"
    return recipe


def _mark_failed(step: Step) -> None:
    """The step (and its last recorded attempt) failed for good."""
    step.status = "failed"
    if step.history:
        step.history = [*step.history[:-1], {**step.history[-1], "status": "failed"}]


def _failed_attempts(run: Run) -> int:
    """Claims that counted: deferrals (rate limits, busy destinations, released claims) do not."""
    return run.attempt - (run.deferrals or 0)


def _deferred_too_long(run: Run, settings: RunSettings) -> bool:
    started = _aware(run.started_at) if run.started_at is not None else utcnow()
    return (utcnow() - started).total_seconds() > settings.defer_limit_seconds


def _defer(session: Session, run: Run, settings: RunSettings, delay: float) -> str:
    """Back to the queue, due in ``delay`` seconds, without using up an attempt."""
    run.status = "retrying"
    run.deferrals = (run.deferrals or 0) + 1
    run.next_attempt_at = utcnow() + timedelta(seconds=delay)
    run.lease_owner = None
    run.lease_expires_at = None
    _commit(session, run, settings)
    log.info("run %s deferred for %.1f s", run.id, delay)
    return "retrying"


def _give_up(session: Session, run: Run, recipe: Recipe, settings: RunSettings) -> str:
    """Fail the run for good (fenced) and then, only then, fire the failure alert hook."""
    status = _finish(session, run, "failed", settings)
    hooks.fire("run_failed", run_id=run.id, recipe_id=recipe.id, recipe_key=recipe.key, error=run.error)
    return status


def fail_run(session: Session, run_id: int, message: str, settings: RunSettings | None = None,
             attempt: int | None = None) -> str:
    """Mark a run failed from outside the state machine (the runner itself crashed).

    Only a run still ``running`` under this worker's lease is touched: one that finished, or that
    another worker took over, keeps its state. Steps left ``running`` are failed with it (a replay
    copies them with their idempotency key, so the action checks for an earlier result first).
    """
    settings = settings or RunSettings()
    run = session.get(Run, run_id)
    if run is None or run.status != "running" or (settings.owner is not None and run.lease_owner != settings.owner):
        return run.status if run is not None else "missing"
    if attempt is not None and run.attempt != attempt:
        return run.status  # reclaimed meanwhile: the new claim carries on
    message = _clean(message).strip().splitlines()[0][:MAX_ERROR_CHARS] if message.strip() else "internal error"
    run.error = message
    run.error_kind = "internal"
    for step in session.scalars(select(Step).where(Step.run_id == run.id, Step.status == "running")):
        step.status = "failed"
        step.error = f"interrupted: {message}"
        step.error_kind = "internal"
        step.finished_at = step.possible_effect_at = utcnow()
    try:
        status = _finish(session, run, "failed", settings)
    except LeaseLost:
        return "lease lost"
    recipe = _recipe_of(session, run)
    hooks.fire("run_failed", run_id=run.id, recipe_id=recipe.id, recipe_key=recipe.key, error=message)
    return status


def _finish(session: Session, run: Run, status: str, settings: RunSettings) -> str:
    run.status = status
    if status in ("succeeded", "filtered"):
        run.error = None  # an earlier attempt's error no longer describes the run
        run.error_kind = None
    run.finished_at = utcnow()
    run.next_attempt_at = None
    run.lease_owner = None
    run.lease_expires_at = None
    _commit(session, run, settings)
    log.info("run %s %s", run.id, status)
    return status


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
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
