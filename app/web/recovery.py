"""Failures fixed by a replay, and replay refusals, in words a person follows.

A failed run whose replay (or a replay of that replay) succeeded is *recovered*: the run page says
so with a link, and the dashboard counts it apart instead of among the failures, so a fixed problem
stops looking like a current one. A replay refusal (``ReplayError``) is said in the page's
language from its ``code``; one a forced replay would get past is offered on the run page with a
confirmation that names the steps it may do again.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.replay import ReplayError
from app.models import Run

MAX_CHAIN = 20  # replays of replays followed at most (a chain is a handful in practice)


def recovered(session: Session, failed_ids: Iterable[int]) -> dict[int, int]:
    """``{failed run id: id of the replay that succeeded}`` for those of ``failed_ids`` fixed by a replay
    (directly, or by a replay of a replay)."""
    wanted = set(failed_ids)
    parent: dict[int, int] = {}
    successes: list[int] = []
    frontier = list(wanted)
    for _depth in range(MAX_CHAIN):
        if not frontier:
            break
        rows = session.execute(select(Run.id, Run.status, Run.replay_of_id)
                               .where(Run.replay_of_id.in_(frontier))).all()
        frontier = [row.id for row in rows if row.id not in parent]
        for row in rows:
            parent[row.id] = row.replay_of_id
            if row.status == "succeeded":
                successes.append(row.id)
    found: dict[int, int] = {}
    for success in sorted(successes):
        ancestor = parent.get(success)
        while ancestor is not None:
            if ancestor in wanted:
                found.setdefault(ancestor, success)
            ancestor = parent.get(ancestor)
    return found


def recovered_by(session: Session, run: Run) -> Run | None:
    """The replay that fixed this failed run, if one did."""
    fixed = recovered(session, [run.id]).get(run.id)
    return session.get(Run, fixed) if fixed is not None else None


def refusal_text(exc: ReplayError) -> str:
    """Why a replay was refused, in the page's language (the engine's text for an unknown code)."""
    texts = {
        "succeeded": _("This run succeeded: it is not replayed unless you ask to run it again on purpose."),
        "not_final": _("This run is not finished yet: wait for it before replaying it."),
        "already_done": _("This run already did some of its steps: replaying it from the trigger would do them "
                          "again. Replay it from the failed step instead, or run it again on purpose."),
        "already_replayed": _("This run was already replayed: replay the latest run of its chain, or replay this "
                              "one again on purpose."),
        "disabled": _("The automation of this run is disabled: enable it before replaying its runs."),
        "busy": _("This run is already being replayed: wait for that replay to finish."),
    }
    return texts.get(exc.code, str(exc))
