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
switched off resumes where it stopped). A run is replayed once: to try again, replay the latest run
of its chain (``force`` overrides this). Nothing in a chain is replayed while a run of it is queued,
running or retrying. These checks run under one write lock per chain, so two operators clicking at
once, or a bulk replay racing a click, make one replay.
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
    """The run cannot be replayed that way; the message says why.

    ``code`` names the reason for pages that say it in the user's language; ``forceable``: a forced
    replay would go ahead, repeating ``effects`` (the step keys already done) on purpose.
    """

    def __init__(self, message: str, *, code: str = "refused", forceable: bool = False,
                 effects: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.code, self.forceable, self.effects = code, forceable, effects


def replay_run(session: Session, run_id: int, *, mode: str = "failed_step", force: bool = False) -> Run:
    if mode not in MODES:
        raise ReplayError(f"unknown replay mode {mode!r}; use one of: {', '.join(MODES)}")
    original = session.get(Run, run_id)
    if original is None:
        raise ReplayError(f"run {run_id} does not exist")
    allowed = REPLAYABLE | ({"succeeded"} if force and mode == "trigger" else set())
    if original.status not in allowed:
        hint = " (use force to run a succeeded run again from the trigger)" if original.status == "succeeded" else ""
        succeeded = original.status == "succeeded"
        raise ReplayError(f"run {run_id} is {original.status}; only failed, filtered or skipped runs replay{hint}",
                          code="succeeded" if succeeded else "not_final", forceable=succeeded and mode == "trigger",
                          effects=_done(session, original) if succeeded else ())
    if mode == "failed_step" and original.status not in RESUMABLE:
        raise ReplayError(f"run {run_id} is {original.status}: nothing failed; replay it from the trigger")
    recipe = session.get(Recipe, original.recipe_id)
    if recipe is None or not recipe.enabled:
        raise ReplayError(f"the recipe of run {run_id} is disabled; enable it before replaying its runs",
                          code="disabled")
    steps = list(session.scalars(select(Step).where(Step.run_id == original.id).order_by(Step.position)))
    done = [step.key for step in steps if step.position > 0 and step.status == "succeeded"]
    if mode == "trigger" and done and not force:
        raise ReplayError(
            f"run {run_id} already did {', '.join(done)}; replaying it from the trigger would do that again. "
            "Replay it from the failed step, or use force to repeat it on purpose",
            code="already_done", forceable=True, effects=tuple(done))
    carried = _carried_steps(session, recipe, run_id, steps) if mode == "trigger" and not force else []
    _check_chain(session, original, force)
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
            session.add(_copy(step, run, step.position))
            if step.status != "succeeded":
                break
    for step, position in carried:
        session.add(_copy(step, run, position))
    session.commit()
    return run


def _check_chain(session: Session, original: Run, force: bool) -> None:
    """Refuse a second replay of a run, and any replay while a run of its chain is still going.

    All runs of one chain (the first run and its replays, and theirs) take the same lock, a write
    on the chain's first run: a row lock on PostgreSQL, the database's write lock on SQLite. The
    checks run under it, so two operators (or a bulk replay and a click) make one replay.
    """
    root = original
    while root.replay_of_id is not None:
        parent = session.get(Run, root.replay_of_id)
        if parent is None:  # pruned by retention: the chain starts here now
            break
        root = parent
    session.execute(update(Run).where(Run.id == root.id).values(replay_of_id=Run.replay_of_id)
                    .execution_options(synchronize_session=False))
    chain, frontier = {root.id: root.status}, [root.id]
    while frontier:
        rows = session.execute(select(Run.id, Run.status, Run.replay_of_id).where(Run.replay_of_id.in_(frontier))).all()
        frontier = [row.id for row in rows if row.id not in chain]
        chain.update({row.id: row.status for row in rows})
        replays = [row.id for row in rows if row.replay_of_id == original.id]
        if replays and not force:
            session.rollback()
            raise ReplayError(
                f"run {original.id} was already replayed (run {max(replays)}); replay the latest run of the chain, "
                "or use force to replay this one again", code="already_replayed", forceable=True,
                effects=_done(session, original))
    going = sorted(run_id for run_id, status in chain.items() if status not in FINAL)
    if going:
        session.rollback()
        raise ReplayError(f"run {original.id} is already being replayed by run {going[-1]}; wait for it to finish",
                          code="busy")


def _carried_steps(session: Session, recipe: Recipe, run_id: int, steps: list[Step]) -> list[tuple[Step, int]]:
    """Replay from the trigger: the run's tried-but-unfinished actions, placed where they are now.

    A step is matched to the current version by its key and action (not its position: a step may
    have been inserted before it); it keeps its idempotency key and attempt count there, so the
    action first looks for the result of its earlier attempt. A tried step that cannot be matched
    and may have reached the service (anything but a mapping failure, which never calls out) would
    lose that protection: the replay then needs force.
    """
    try:
        current = {spec.key: (position, spec.action)
                   for position, spec in enumerate(compiled_recipe(session, recipe).steps, start=1)}
    except RecipeUnusable as exc:
        raise ReplayError(f"recipe {recipe.key} cannot run: {exc}") from None
    carried, lost = [], []
    for step in steps:
        if step.position == 0 or step.status == "succeeded" or step.attempt == 0:
            continue
        position, action = current.get(step.key, (None, None))
        if position is not None and action == step.action_key:
            carried.append((step, position))
        elif step.error_kind != "mapping":
            lost.append(step.key)
    if lost:
        raise ReplayError(
            f"run {run_id}: {', '.join(lost)} may have reached the service, and the recipe no longer has that "
            "step with the same action, so a replay from the trigger could not check for its earlier result. "
            "Replay it from the failed step, or use force to run the current version anyway")
    return carried


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


def _done(session: Session, run: Run) -> tuple[str, ...]:
    """The keys of the steps the run already did (what a forced replay may do again)."""
    return tuple(session.scalars(select(Step.key).where(Step.run_id == run.id, Step.position > 0,
                                                        Step.status == "succeeded").order_by(Step.position)))


def _copy(step: Step, run: Run, position: int) -> Step:
    return Step(
        run_id=run.id, position=position, key=step.key, action_key=step.action_key,
        status=step.status, attempt=step.attempt, idempotency_key=step.idempotency_key,
        input=step.input, output=step.output, error=step.error, error_kind=step.error_kind,
        started_at=step.started_at, finished_at=step.finished_at, duration_ms=step.duration_ms,
        possible_effect_at=step.possible_effect_at, history=step.history,
    )
