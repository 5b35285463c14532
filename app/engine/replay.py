"""Replay a finished run: from its failed step, or from the trigger with the current recipe.

A replay is a new run (``replay_of_id`` points back), so the history keeps what happened.

* From the failed step: the new run starts with copies of the succeeded steps (their outputs are
  reused, they never run again) and of the failed step *with its idempotency key and attempt
  count*, so the action first looks for an earlier result: replaying can never create a second
  charge or contract for the same step.
* From the trigger: the event runs again through the recipe's current version (new filters, new
  mapping). If an action of the run already succeeded, this would do it again, so it needs
  ``force`` (as does replaying a succeeded run): force repeats effects on purpose, with new
  idempotency keys. Without force, a step that failed or was cut off keeps its idempotency key and
  attempt count when the current version still has the same action at that place, so an action
  that reached the service before (a timeout after the charge was created) finds its own result
  instead of writing again.

A failed or skipped run is resumed "from the failed step" (a run skipped because its recipe was
switched off resumes where it stopped). A run that is being replayed (its replay is queued, running
or retrying) cannot be replayed again until that replay ends; the check and the new run are taken
under a write lock on the original run, so two operators clicking at once make one replay.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.engine.compiled import RecipeUnusable, compiled_recipe
from app.engine.runner import FINAL
from app.models import Recipe, Run, Step, utcnow

REPLAYABLE = frozenset({"failed", "filtered", "skipped"})
RESUMABLE = frozenset({"failed", "skipped"})
MODES = ("failed_step", "trigger")


class ReplayError(ValueError):
    """The run cannot be replayed that way; the message says why."""


def replay_run(session: Session, run_id: int, *, mode: str = "failed_step", force: bool = False) -> Run:
    if mode not in MODES:
        raise ReplayError(f"unknown replay mode {mode!r}; use one of: {', '.join(MODES)}")
    original = session.get(Run, run_id)
    if original is None:
        raise ReplayError(f"run {run_id} does not exist")
    allowed = REPLAYABLE | ({"succeeded"} if force and mode == "trigger" else set())
    if original.status not in allowed:
        hint = " (use force to run a succeeded run again from the trigger)" if original.status == "succeeded" else ""
        raise ReplayError(f"run {run_id} is {original.status}; only failed, filtered or skipped runs replay{hint}")
    if mode == "failed_step" and original.status not in RESUMABLE:
        raise ReplayError(f"run {run_id} is {original.status}: nothing failed; replay it from the trigger")
    recipe = session.get(Recipe, original.recipe_id)
    if not recipe.enabled:
        raise ReplayError(f"recipe {recipe.key} is disabled; enable it before replaying its runs")
    steps = list(session.scalars(select(Step).where(Step.run_id == original.id).order_by(Step.position)))
    done = [step.key for step in steps if step.position > 0 and step.status == "succeeded"]
    if mode == "trigger" and done and not force:
        raise ReplayError(
            f"run {run_id} already did {', '.join(done)}; replaying it from the trigger would do that again. "
            "Replay it from the failed step, or use force to repeat it on purpose"
        )
    _lock(session, original)
    pending = session.scalar(select(Run.id).where(Run.replay_of_id == original.id, Run.status.not_in(FINAL)))
    if pending is not None:
        session.rollback()
        raise ReplayError(f"run {run_id} is already being replayed by run {pending}; wait for it to finish")
    now = utcnow()
    run = Run(
        recipe_id=recipe.id,
        recipe_version=original.recipe_version if mode == "failed_step" else recipe.version,
        event_id=original.event_id,
        dedupe_key=None,
        status="queued",
        attempt=0,
        max_attempts=original.max_attempts,
        next_attempt_at=now,
        replay_of_id=original.id,
        created_at=now,
        trigger_output=original.trigger_output if mode == "failed_step" else None,
        filter_result=original.filter_result if mode == "failed_step" else None,
    )
    session.add(run)
    session.flush()
    if mode == "failed_step":
        for step in steps:
            session.add(_copy(step, run))
            if step.status != "succeeded":
                break
    elif not force:
        for step in _unfinished_same_action(session, recipe, steps):
            session.add(_copy(step, run))
    session.commit()
    return run


def _lock(session: Session, original: Run) -> None:
    """Take a write lock on the original run (a row lock on PostgreSQL, the write lock on SQLite)."""
    session.execute(update(Run).where(Run.id == original.id).values(replay_of_id=Run.replay_of_id)
                    .execution_options(synchronize_session=False))


def _unfinished_same_action(session: Session, recipe: Recipe, steps: list[Step]) -> list[Step]:
    """Action steps that were tried and did not succeed, where the current version has the same action."""
    try:
        current = compiled_recipe(session, recipe).steps
    except RecipeUnusable as exc:
        raise ReplayError(f"recipe {recipe.key} cannot run: {exc}") from None
    return [
        step for step in steps
        if 0 < step.position <= len(current) and step.status != "succeeded" and step.attempt > 0
        and current[step.position - 1].action == step.action_key
    ]


def replay_runs(session: Session, run_ids: list[int], *, mode: str = "failed_step") -> tuple[list[Run], list[str]]:
    """Bulk replay; returns the new runs and one message per run that could not be replayed."""
    replayed, problems = [], []
    for run_id in run_ids:
        try:
            replayed.append(replay_run(session, run_id, mode=mode))
        except ReplayError as exc:
            session.rollback()
            problems.append(str(exc))
    return replayed, problems


def _copy(step: Step, run: Run) -> Step:
    return Step(
        run_id=run.id, position=step.position, key=step.key, action_key=step.action_key,
        status=step.status, attempt=step.attempt, idempotency_key=step.idempotency_key,
        input=step.input, output=step.output, error=step.error, error_kind=step.error_kind,
        started_at=step.started_at, finished_at=step.finished_at, duration_ms=step.duration_ms,
    )
