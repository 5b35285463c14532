"""Replay a finished run: from its failed step, or from the trigger with the current recipe.

A replay is a new run (``replay_of_id`` points back), so the history keeps what happened.

* From the failed step: the new run starts with copies of the succeeded steps (their outputs are
  reused, they never run again) and of the failed step *with its idempotency key and attempt
  count*, so the action first looks for an earlier result: replaying can never create a second
  charge or contract for the same step.
* From the trigger: the event runs again through the recipe's current version (new filters, new
  mapping). Steps get new idempotency keys; replaying a run that succeeded this way needs
  ``force`` because it repeats its effects on purpose.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Recipe, Run, Step, utcnow

REPLAYABLE = frozenset({"failed", "filtered", "skipped"})
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
    if mode == "failed_step" and original.status != "failed":
        raise ReplayError(f"run {run_id} is {original.status}: nothing failed; replay it from the trigger")
    recipe = session.get(Recipe, original.recipe_id)
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
        for step in session.scalars(select(Step).where(Step.run_id == original.id).order_by(Step.position)):
            session.add(_copy(step, run))
            if step.status != "succeeded":
                break
    session.commit()
    return run


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
