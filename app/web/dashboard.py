"""The home page: runs by status (24 h and 7 days), failing recipes, recently rejected deliveries, and
recipe files waiting for a connection (applied as soon as it is created). A failed run that a replay
fixed counts as recovered, not as failed (``app.web.recovery``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import alerting
from app.db import get_session
from app.engine.waiting import waiting_for_config
from app.models import RUN_STATUSES, Connection, Recipe, Run, WebhookDelivery, utcnow
from app.web import bp, recovery


def run_counts(session: Session, hours: int) -> dict[str, int]:
    since = utcnow() - timedelta(hours=hours)
    rows = session.execute(
        select(Run.status, func.count(Run.id)).where(Run.created_at >= since).group_by(Run.status)
    ).all()
    counts = dict.fromkeys(RUN_STATUSES, 0)
    counts.update({status: count for status, count in rows})
    failed = session.scalars(select(Run.id).where(Run.created_at >= since, Run.status == "failed")).all()
    counts["recovered"] = len(recovery.recovered(session, failed)) if failed else 0
    counts["failed"] -= counts["recovered"]  # fixed by a replay: not a failure to look at any more
    return counts


def failing_recipes(session: Session) -> list[dict[str, Any]]:
    """Recipes whose last run failed, or with failures in the last 24 h, worst first."""
    since = utcnow() - timedelta(hours=24)
    failed = session.execute(select(Run.id, Run.recipe_id).where(Run.status == "failed", Run.created_at >= since)).all()
    fixed = recovery.recovered(session, [row.id for row in failed]) if failed else {}
    failures: dict[int, int] = {}
    for row in failed:
        if row.id not in fixed:
            failures[row.recipe_id] = failures.get(row.recipe_id, 0) + 1
    last_ids = select(func.max(Run.id)).group_by(Run.recipe_id)
    last_runs = {run.recipe_id: run for run in session.scalars(select(Run).where(Run.id.in_(last_ids)))}
    out = []
    for recipe in session.scalars(select(Recipe).order_by(Recipe.name)):
        last = last_runs.get(recipe.id)
        count = failures.get(recipe.id, 0)
        if count or (last is not None and last.status == "failed"):
            out.append({"recipe": recipe, "failures": count, "last": last})
    return sorted(out, key=lambda item: -item["failures"])


def stopped_webhooks(session: Session) -> list[Connection]:
    from app.webhook_watch import alerting as stopped

    return stopped(session)


@bp.get("/")
@login_required
def dashboard() -> ResponseReturnValue:
    session = get_session()
    deliveries = session.execute(
        select(WebhookDelivery, Connection.name)
        .outerjoin(Connection, Connection.id == WebhookDelivery.connection_id)
        .order_by(WebhookDelivery.received_at.desc()).limit(10)
    ).all()
    return render_template(
        "dashboard.html",
        day=run_counts(session, 24), week=run_counts(session, 24 * 7), statuses=(*RUN_STATUSES, "recovered"),
        failing=failing_recipes(session), deliveries=deliveries,
        recipes_count=session.scalar(select(func.count(Recipe.id))) or 0,
        connections_count=session.scalar(select(func.count(Connection.id))) or 0,
        waiting=waiting_for_config(session, current_app.config),
        stopped_webhooks=stopped_webhooks(session),
        problem=alerting.problem(session, current_app.config),
    )
