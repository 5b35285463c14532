"""The Alerts page (admins): who is told when a run fails for good, through which e-mail connection,
and a button that sends a test alert now. The dashboard says when nobody would be told."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from app import alerting
from app.auth import admin_required
from app.db import get_session
from app.inputs import parse_int
from app.notifications import send_mail
from app.web import bp


@bp.route("/alerts", methods=["GET", "POST"])
@admin_required
def alerts() -> ResponseReturnValue:
    session = get_session()
    choices = alerting.email_connections(session)
    errors: dict[str, str] = {}
    if request.method == "POST":
        recipients, bad = alerting.parse_recipients(request.form.get("recipients", ""))
        connection_id = parse_int(request.form.get("connection_id"), minimum=1)
        if bad:
            errors["recipients"] = _("Not an e-mail address: %(items)s", items=", ".join(bad))
        if connection_id is not None and connection_id not in {c.id for c in choices}:
            errors["connection_id"] = _("Choose one of the e-mail connections.")
        if not errors:
            alerting.save(session, enabled=request.form.get("enabled") == "1", connection_id=connection_id,
                          notify_admins=request.form.get("notify_admins") == "1", recipients=recipients,
                          by=current_user.id)
            session.commit()
            flash(_("Alert settings saved."), "success")
            return redirect(url_for("web.alerts"))
    setup = alerting.current(session)
    return render_template("alerts/index.html", setup=setup, choices=choices, errors=errors,
                           form=request.form if errors else None,
                           problem=alerting.problem(session, current_app.config),
                           env_smtp=bool(current_app.config.get("SMTP_HOST")))


@bp.post("/alerts/test")
@admin_required
def alerts_test() -> ResponseReturnValue:
    """Send a test alert to everyone who would be told, through the alerts' e-mail connection."""
    session = get_session()
    setup = alerting.current(session)
    settings = alerting.transport(setup, current_app.config)
    to = list(dict.fromkeys([*([current_user.email] if setup.notify_admins else []), *setup.recipients]))
    if settings is None:
        flash(_("No e-mail connection is set for alerts: choose one first."), "error")
    elif not to:
        flash(_("Nobody would receive alerts: add an address or tick “To the administrators”."), "error")
    else:
        try:
            send_mail(current_app._get_current_object(), to, _("[Ponte] Test alert"),  # type: ignore[attr-defined]
                      _("This is a test alert from Ponte: failure alerts reach you at this address."), settings)
        except Exception as exc:  # noqa: BLE001 - the service's answer is the message to show
            from connectors.sdk import ConnectorError

            message = exc.user_message if isinstance(exc, ConnectorError) else str(exc)
            flash(_("The test alert could not be sent: %(error)s", error=message), "error")
        else:
            flash(_("Test alert sent to %(to)s.", to=", ".join(to)), "success")
    return redirect(url_for("web.alerts"))
