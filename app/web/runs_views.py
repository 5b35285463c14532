"""Run history: a filterable, searchable, paginated list; a run page; replay (one or in bulk).

Search finds runs by their business references (payment id ``pay_…``, document token, customer
name, CPF/CNPJ, e-mail: what the trigger declares, see ``app/engine/references.py``) through an
index, never a LIKE over payloads, so it stays fast at a million runs. The list reads each run's
references from ``runs.refs`` (not its trigger output), counts at most :data:`COUNT_CAP` matches, and
loads the recipes of a page in one query; the trigger outputs of the page's rows only (by id)
feed each line's summary.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask import session as flask_session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer, joinedload
from sqlalchemy.sql import Select

from app.catchup import RECOVERED
from app.db import get_session
from app.engine import references
from app.engine.replay import ReplayError, replay_run, replay_runs
from app.inputs import parse_int
from app.models import RUN_STATUSES, Event, Recipe, Run, Step, utcnow
from app.web import bp, metadata, recovery

PAGE_SIZE = 50
COUNT_CAP = 10_000  # "10,000+ runs": counting a million rows for a pager is not worth a second
LIVE_STATUSES = ("queued", "running", "retrying")
PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}


def _local_day_start(day: date) -> datetime:
    zone = ZoneInfo(current_app.config.get("PONTE_TIMEZONE", "America/Sao_Paulo"))
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _parse_day(text: str | None) -> date | None:
    """``2025-03-10`` (date inputs) or ``10/03/2025`` (typed in pt-BR)."""
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def filtered_runs(args: Any) -> Select[Any]:
    """The run query for the list's filters: status, recipe, period or date range, search text."""
    query = select(Run).order_by(Run.id.desc())
    status = args.get("status")
    if status in RUN_STATUSES:
        query = query.where(Run.status == status)
    recipe = parse_int(args.get("recipe"))
    if recipe is not None:
        query = query.where(Run.recipe_id == recipe)
    period = args.get("period")
    if period in PERIODS:
        query = query.where(Run.created_at >= utcnow() - PERIODS[period])
    start, end = _parse_day(args.get("from")), _parse_day(args.get("to"))
    if start:
        query = query.where(Run.created_at >= _local_day_start(start))
    if end:
        query = query.where(Run.created_at < _local_day_start(end + timedelta(days=1)))
    text = (args.get("q") or "").strip()
    if text:
        query = query.where(references.run_has_reference(text))
    return query


@bp.get("/runs")
@login_required
def runs() -> ResponseReturnValue:
    session = get_session()
    query = filtered_runs(request.args)
    page = parse_int(request.args.get("page"), 1, minimum=1, maximum=100_000) or 1
    capped = query.order_by(None).with_only_columns(Run.id).limit(COUNT_CAP + 1).subquery()
    total = session.scalar(select(func.count()).select_from(capped)) or 0
    listed = query.options(joinedload(Run.recipe).load_only(Recipe.id, Recipe.name),
                           defer(Run.trigger_output), defer(Run.filter_result))
    rows = session.scalars(listed.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    recipes = session.scalars(select(Recipe).order_by(Recipe.name)).all()
    triggers = {r.id: r.trigger_key for r in recipes}
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "runs/list.html", runs=rows, recipes=recipes, statuses=RUN_STATUSES, args=args, page=page,
        pages=max(1, -(-min(total, COUNT_CAP) // PAGE_SIZE)), total=total, capped=total > COUNT_CAP,
        summaries=_summaries(session, rows, triggers), refs={r.id: references.shown(r.refs) for r in rows},
        recovered=recovered_runs(session, [r.id for r in rows]),
    )


def recovered_runs(session: Session, ids: list[int]) -> set[int]:
    """Of these runs, those whose event the catch-up found (``events.source == "recovered"``): the
    webhook never brought it, so the list and the run page say "recuperado" / "recovered"."""
    if not ids:
        return set()
    return set(session.scalars(select(Run.id).join(Event, Event.id == Run.event_id)
                               .where(Run.id.in_(ids), Event.source == RECOVERED)))


def _summaries(session: Session, rows: Any, triggers: dict[int, str]) -> dict[int, str]:
    """Each line's summary: the trigger's own ``summary`` of its output (its references show beside it).

    Only this page's trigger outputs are read, by primary key: the list query itself never loads them.
    """
    ids = [r.id for r in rows]
    outputs: dict[int, Any] = {}
    if ids:
        outputs = {rid: out for rid, out in session.execute(
            select(Run.id, Run.trigger_output).where(Run.id.in_(ids))).tuples()}
    return {r.id: metadata.summary(triggers.get(r.recipe_id), outputs.get(r.id)) for r in rows}


def _notify_executor() -> None:
    executor = current_app.extensions.get("ponte_executor")
    if executor is not None:
        executor.notify()


@bp.get("/runs/<int:run_id>")
@login_required
def run_detail(run_id: int) -> ResponseReturnValue:
    session = get_session()
    run = session.get(Run, run_id)
    if run is None:
        abort(404)
    steps = session.scalars(select(Step).where(Step.run_id == run.id).order_by(Step.position)).all()
    replays = session.scalars(select(Run).where(Run.replay_of_id == run.id).order_by(Run.id)).all()
    refusal = flask_session.pop("replay_refusal", None)
    if not isinstance(refusal, dict) or refusal.get("run_id") != run.id:
        refusal = None
    return render_template("runs/detail.html", run=run, steps=steps, replays=replays,
                           event=session.get(Event, run.event_id) if run.event_id else None,
                           failed_condition=_failed_condition(run.filter_result),
                           live=run.status in LIVE_STATUSES, refusal=refusal,
                           recovered_by=recovery.recovered_by(session, run) if run.status == "failed" else None)


def _failed_condition(verdict: dict[str, Any] | None) -> dict[str, Any] | None:
    if not verdict or verdict.get("passed"):
        return None
    return verdict.get("failed")


@bp.post("/runs/<int:run_id>/replay")
@login_required
def run_replay(run_id: int) -> ResponseReturnValue:
    session = get_session()
    mode = request.form.get("mode", "failed_step")
    try:
        new_run = replay_run(session, run_id, mode=mode, force=request.form.get("force") == "1")
    except ReplayError as exc:
        session.rollback()
        flash(recovery.refusal_text(exc), "error")
        if exc.forceable:  # the run page offers the forced replay, naming what it may repeat
            flask_session["replay_refusal"] = {"run_id": run_id, "mode": mode, "effects": list(exc.effects)}
        return redirect(url_for("web.run_detail", run_id=run_id))
    _notify_executor()
    flash(_("Replay queued as run #%(id)s.", id=new_run.id), "success")
    return redirect(url_for("web.run_detail", run_id=new_run.id))


@bp.post("/runs/replay")
@login_required
def runs_replay() -> ResponseReturnValue:
    session = get_session()
    ids = [i for i in (parse_int(raw, minimum=1) for raw in request.form.getlist("run_id")) if i is not None]
    mode = request.form.get("mode", "failed_step")
    if not ids:
        flash(_("Select at least one run."), "error")
        return redirect(url_for("web.runs"))
    replayed, problems = replay_runs(session, ids, mode=mode)
    if replayed:
        _notify_executor()
        flash(_("%(n)d replay(s) queued.", n=len(replayed)), "success")
    for problem in problems:
        flash(problem, "error")
    return redirect(url_for("web.runs"))


def runs_for_recipe(session: Session, recipe_id: int, limit: int = 5) -> list[Run]:
    return list(session.scalars(select(Run).where(Run.recipe_id == recipe_id).order_by(Run.id.desc())
                                .limit(limit)))
