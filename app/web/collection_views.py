"""The collection dashboard (``/collection``): what is owed and how the collection rule is doing, for
one Asaas connection, with a CSV of the open payments.

Figures come from ``app.collection.dashboard_data`` (Asaas payments, cached; the rules' runs). A
rejected key or an unreachable Asaas is shown on the page with the connector's message, never a
500. The charts are SVG drawn here on the server (bars only: nothing to build, no script).
"""

from __future__ import annotations

import csv
import io
import logging
from decimal import Decimal
from typing import Any

from flask import Response, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import login_required

from app.collection import dashboard, dashboard_data
from app.collection.dashboard import Figures
from app.collection.dashboard_data import Snapshot
from app.collection.rule import day_code
from app.db import get_session
from app.models import Connection
from app.web import bp, formatting
from app.web import wizard_data as data
from connectors.sdk import ConnectorError

log = logging.getLogger("ponte.web.collection")
CHART_WIDTH, BAR_HEIGHT, LABEL_WIDTH = 560, 26, 130


def _connection(session: Any) -> Connection | None:
    """The connection asked for (``?connection=<id>``), else the one of the first rule, else the first."""
    options = data.connections_for(session, "asaas")
    wanted = request.values.get("connection", "")
    chosen = next((c for c in options if str(c.id) == wanted), None)
    if chosen is None:
        with_rule = [c for c in options if dashboard_data.rule_recipes(session, c)]
        chosen = next(iter(with_rule or options), None)
    return chosen


def bucket_label(first: int, last: int | None) -> str:
    if last is None:
        return _("over %(days)d days", days=first - 1)
    return _("%(first)d to %(last)d days", first=first, last=last)


def bars(items: list[tuple[str, int, str]]) -> dict[str, Any]:
    """Horizontal bars for ``(label, value, caption)``: geometry for the SVG in the template."""
    top = max((value for _label, value, _caption in items), default=0) or 1
    room = CHART_WIDTH - LABEL_WIDTH - 110
    rows = [{"label": label, "caption": caption, "y": i * BAR_HEIGHT, "x": LABEL_WIDTH,
             "width": max(1 if value else 0, round(room * value / top))}
            for i, (label, value, caption) in enumerate(items)]
    return {"rows": rows, "width": CHART_WIDTH, "height": max(1, len(items)) * BAR_HEIGHT}


def _decimal(value: Decimal) -> str:
    text = f"{value:.1f}"
    return text.replace(".", ",") if str(get_locale() or "pt_BR").startswith("pt") else text


def _charts(figures: Figures) -> dict[str, Any]:
    aging = bars([(bucket_label(b.first, b.last), b.cents,
                   f"{formatting.money(Decimal(b.cents) / 100)} ({b.count})") for b in figures.buckets])
    steps = bars([(day_code(offset), count, str(count)) for offset, count in figures.sent_per_step])
    return {"aging": aging, "steps": steps}


def _read(session: Any, connection: Connection, refresh: bool = False) -> tuple[Figures | None, Snapshot | None,
                                                                              str | None]:
    ttl = int(current_app.config.get("COLLECTION_DASHBOARD_TTL", dashboard_data.DEFAULT_TTL))
    days = request.values.get("days", type=int) or dashboard.DEFAULT_RECOVERY_DAYS
    try:
        figures, snap = dashboard_data.figures(session, connection, ttl=ttl, refresh=refresh,
                                               recovery_days=min(max(days, 1), 60))
        return figures, snap, None
    except ConnectorError as exc:
        return None, None, _("Asaas could not be read: %(message)s", message=exc.user_message)
    except Exception:  # noqa: BLE001 - a vault or programming error: logged, the page still renders
        log.exception("collection dashboard failed for connection %s", connection.name)
        return None, None, _("The payments could not be read with the account %(name)s. Test the connection "
                             "and try again.", name=connection.name)


REASONS = {"past_last_step": lambda: _("past the last reminder"),
           "reminder_failed": lambda: _("the last reminder failed")}


@bp.get("/collection")
@login_required
def collection_dashboard() -> ResponseReturnValue:
    session = get_session()
    connection = _connection(session)
    figures = snap = problem = None
    if connection is not None:
        figures, snap, problem = _read(session, connection)
    return render_template(
        "collection/dashboard.html", connection=connection, figures=figures, snapshot=snap, problem=problem,
        connections=data.connections_for(session, "asaas"), charts=_charts(figures) if figures else None,
        bucket_label=bucket_label, day_code=day_code, reasons={k: v() for k, v in REASONS.items()},
        rate=_decimal(figures.recovery_rate) + " %" if figures and figures.recovery_rate is not None else None,
        average=_decimal(figures.average_days_to_pay) if figures and figures.average_days_to_pay is not None
        else None, cents=lambda c: formatting.money(Decimal(c) / 100), plural=ngettext)


@bp.post("/collection/refresh")
@login_required
def collection_refresh() -> ResponseReturnValue:
    """"Atualizar": forget the cached payments; the page reads Asaas again."""
    wanted = request.form.get("connection", "")
    dashboard_data.forget(int(wanted) if wanted.isdigit() else None)
    if wanted.isdigit():
        return redirect(url_for("web.collection_dashboard", connection=wanted))
    return redirect(url_for("web.collection_dashboard"))


def cell(text: str) -> str:
    """A text cell Excel will not run as a formula (a customer called ``=HYPERLINK(...)``)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(figures: Figures, snap: Snapshot, locale: str) -> str:
    """The open payments, one a line. pt-BR: ``;`` between fields, decimal comma and dd/mm/aaaa (what
    Excel set to Brazilian Portuguese opens as columns); English: ``,``, decimal point, ISO dates."""
    pt = locale.startswith("pt")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if pt else ",", lineterminator="\r\n")
    writer.writerow([_("Payment"), _("Customer"), _("Amount (R$)"), _("Due date"), _("Status"),
                     _("Days overdue"), _("Aging"), _("Needs a person")])
    attention = {a.charge.id: a for a in figures.attention}
    today = snap.today
    rows = [c for c in snap.charges if c.status in dashboard.OPEN_STATUSES]
    for charge in sorted(rows, key=lambda c: (c.due, c.id)):
        overdue = dashboard.is_overdue(charge, today)
        days = (today - charge.due).days if overdue else 0
        amount = f"{charge.cents // 100}.{charge.cents % 100:02d}"
        bucket = dashboard.BUCKETS[dashboard.bucket_of(max(1, days))] if overdue else None
        need = attention.get(charge.id)
        writer.writerow([
            cell(charge.id), cell(need.customer_name if need and need.customer_name else charge.customer),
            amount.replace(".", ",") if pt else amount,
            charge.due.strftime("%d/%m/%Y") if pt else charge.due.isoformat(),
            _("overdue") if overdue else _("open"), days,
            bucket_label(*bucket) if bucket else "", REASONS[need.reason]() if need else "",
        ])
    return ("\ufeff" if pt else "") + out.getvalue()


@bp.get("/collection.csv")
@login_required
def collection_csv() -> ResponseReturnValue:
    session = get_session()
    connection = _connection(session)
    if connection is None:
        return Response(_("No Asaas connection yet."), status=404, mimetype="text/plain")
    figures, snap, problem = _read(session, connection)
    if figures is None or snap is None:
        return Response(problem or "", status=502, mimetype="text/plain")
    locale = str(get_locale() or "pt_BR")
    name = f"{'cobranca' if locale.startswith('pt') else 'collection'}-{snap.today.isoformat()}.csv"
    return Response(csv_text(figures, snap, locale), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
