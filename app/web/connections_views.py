"""Connections: everyone sees the list and statuses; admins add, edit, test and see webhook secrets.

The form comes from the connector's ``auth_schema``. Secrets are never rendered back into a page:
an edit shows "••••• (set)" and a blank field keeps the stored value. The webhook secret to paste
into Asaas or ZapSign is revealed on demand (admins only, a POST, never cached).
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import select

from app.auth import admin_required
from app.connection_check import CheckResult, reason_text
from app.connections import (
    ConnectionInputError,
    ConnectionTestFailed,
    check_connection,
    create_connection,
    secret_fields,
    update_connection,
    webhook_url,
)
from app.db import get_session
from app.engine.waiting import apply_waiting
from app.models import Connection
from app.vault import VaultError
from app.web import bp, metadata
from app.web.auth_views import _safe_next
from app.web.connection_events import recent_events
from app.web.forms import connection_form_class, connection_values
from app.webhook_setup import auto_register, register
from app.webhook_watch import overview
from connectors import registry


def _connector_or_404(key: str) -> Any:
    try:
        connector = registry.get_connector(key)
    except LookupError:
        abort(404)
    if not getattr(connector, "needs_connection", True):
        abort(404)
    return connector


def _connection_or_404(connection_id: int) -> Connection:
    connection = get_session().get(Connection, connection_id)
    if connection is None:
        abort(404)
    return connection


def _set_secrets(connection: Connection) -> set[str]:
    try:
        return set(connection.get_credentials())
    except VaultError:
        return set()


#: Why a service refused Ponte's webhook registration, by the reason the connector gave.
REFUSALS = {
    "forbidden": _l("The service refused to set up the webhook with these credentials (no permission)."),
    "local_url": _l("The service cannot reach Ponte at this address: set PUBLIC_BASE_URL to Ponte's public address."),
    "limit": _l("The account has reached the service's limit of webhook configurations."),
    "rejected": _l("The service refused the webhook configuration."),
    "error": _l("The service could not be reached to set up the webhook; Ponte tries again on its own."),
}


def _webhook_info(connection: Connection, connector: Any) -> dict[str, Any] | None:
    if connector.webhook is None:
        return None
    url = webhook_url(current_app.config["PUBLIC_BASE_URL"], connection)
    locale = str(get_locale() or "pt_BR")
    info: dict[str, Any] = {"url": url, "instructions": connector.webhook.instructions(url, locale),
                            "secret_field": connector.webhook.secret_field, "managed": False}
    if connector.webhook_admin is not None:
        health = overview(get_session(), connection)
        registration = health["registration"]
        info.update(managed=True, health=health, registration=registration,
                    registered=registration.get("status") == "registered" and registration.get("url") == url,
                    refusal=REFUSALS.get(str(registration.get("reason") or "")))
    return info


def _with_accounts() -> list:
    """Connectors one makes a connection for (the built-in schedule needs none)."""
    return [c for c in registry.CONNECTORS if getattr(c, "needs_connection", True)]


@bp.get("/connections")
@login_required
def connections() -> ResponseReturnValue:
    rows = get_session().scalars(select(Connection).order_by(Connection.name)).all()
    titles = {c.key: metadata.title(c) for c in registry.CONNECTORS}
    return render_template("connections/list.html", connections=rows, titles=titles,
                           connectors=_with_accounts())


def _save_options() -> dict[str, bool]:
    """Test on save (unless turned off) and "save anyway" when the person confirmed it."""
    return {"test": bool(current_app.config.get("CONNECTION_TEST_ON_SAVE", True)),
            "save_anyway": request.form.get("save_anyway") == "1"}


def _form_page(form: Any, connector: Any, connection: Connection | None,
               failed: CheckResult | None = None) -> ResponseReturnValue:
    """The form; never cached, since it may carry a secret the person just typed."""
    page = render_template(
        "connections/form.html", form=form, connector=connector, connection=connection, failed=failed,
        set_secrets=_set_secrets(connection) if connection else set(), secret_names=set(secret_fields(connector)),
        webhook=_webhook_info(connection, connector) if connection else None,
        events=recent_events(get_session(), connection) if connection else None)
    response = current_app.make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


def _flash_saved(connection: Connection) -> None:
    if connection.status == "error":
        flash(_("Connection %(name)s saved in error: %(reason)s Automations using it will fail until it passes "
                "a test.", name=connection.name, reason=reason_text(connection.status_reason)), "error")
    elif connection.status == "ok":
        flash(_("Connection %(name)s tested and saved. %(reason)s", name=connection.name,
                reason=reason_text("ok")), "success")


@bp.route("/connections/new", methods=["GET", "POST"])
@admin_required
def connection_new() -> ResponseReturnValue:
    key = request.args.get("connector")
    if not key:
        return render_template("connections/choose.html", connectors=_with_accounts())
    connector = _connector_or_404(key)
    form = connection_form_class(connector.auth_schema, editing=False,
                                 translate=lambda text: metadata.text(connector, text))()
    failed: CheckResult | None = None
    if form.validate_on_submit():
        session = get_session()
        try:
            connection = create_connection(session, connector_key=connector.key, name=form.name.data or "",
                                           values=connection_values(form, connector.auth_schema, editing=False),
                                           **_save_options())
            session.commit()
        except ConnectionTestFailed as exc:
            session.rollback()
            failed = exc.result
        except ConnectionInputError as exc:
            session.rollback()
            _attach_errors(form, exc)
        else:
            if connection.status == "untested":
                flash(_("Connection %(name)s created. Test it, then configure the webhook if there is one.",
                        name=connection.name), "success")
            _flash_saved(connection)
            if connection.status != "error":
                auto_register(session, connection, current_app.config)
            applied = apply_waiting(session, current_app.config, connection.name)
            if applied:
                flash(_("Automations that were waiting for this connection are now active: %(keys)s.",
                        keys=", ".join(applied)), "success")
            target = request.args.get("next")
            return redirect(_safe_next(target) if target else url_for("web.connection_edit",
                                                                      connection_id=connection.id))
    return _form_page(form, connector, None, failed)


@bp.route("/connections/<int:connection_id>", methods=["GET", "POST"])
@admin_required
def connection_edit(connection_id: int) -> ResponseReturnValue:
    connection = _connection_or_404(connection_id)
    connector = _connector_or_404(connection.connector_key)
    form_class = connection_form_class(connector.auth_schema, editing=True,
                                       translate=lambda text: metadata.text(connector, text))
    if request.method == "GET":
        settings = connection.settings or {}
        form = form_class(formdata=None, name=connection.name,
                          **{f"f_{k}": v for k, v in settings.items() if k in connector.auth_schema.get(
                              "properties", {})})
    else:
        form = form_class()
    failed: CheckResult | None = None
    if form.validate_on_submit():
        session = get_session()
        try:
            update_connection(session, connection, name=form.name.data,
                              values=connection_values(form, connector.auth_schema, editing=True),
                              **_save_options())
            session.commit()
        except ConnectionTestFailed as exc:
            session.rollback()
            failed = exc.result
        except ConnectionInputError as exc:
            session.rollback()
            _attach_errors(form, exc)
        except VaultError as exc:
            session.rollback()
            form.name.errors = [*form.name.errors, str(exc)]
        else:
            if connection.status == "untested":
                flash(_("Connection saved. Test it again."), "success")
            _flash_saved(connection)
            return redirect(url_for("web.connection_edit", connection_id=connection.id))
    return _form_page(form, connector, connection, failed)


def _attach_errors(form: Any, exc: ConnectionInputError) -> None:
    if not exc.errors:
        form.name.errors.append(exc.message)
        return
    for error in exc.errors:
        name, _sep, message = error.partition(": ")
        field = getattr(form, f"f_{name}", None)
        (field.errors if field is not None else form.name.errors).append(message if field else error)


@bp.post("/connections/<int:connection_id>/test")
@admin_required
def connection_test(connection_id: int) -> ResponseReturnValue:
    """htmx: call the connector's ``test_credentials`` and show its answer."""
    connection = _connection_or_404(connection_id)
    result = check_connection(connection)
    get_session().commit()
    if result.ok:
        auto_register(get_session(), connection, current_app.config)
    return render_template("connections/_test_result.html", result=result, connection=connection)


@bp.post("/connections/<int:connection_id>/webhook")
@admin_required
def connection_register_webhook(connection_id: int) -> ResponseReturnValue:
    """The "Register the webhook" button: ask the service now, then show the outcome on the page."""
    connection = _connection_or_404(connection_id)
    connector = _connector_or_404(connection.connector_key)
    if connector.webhook_admin is None:
        abort(404)
    session = get_session()
    outcome = register(session, connection, current_app.config)
    session.commit()
    if outcome.status == "registered":
        flash(_("Webhook registered in %(service)s.", service=metadata.title(connector)), "success")
    else:
        flash(_("%(service)s did not take the webhook; see why below.", service=metadata.title(connector)), "error")
    return redirect(url_for("web.connection_edit", connection_id=connection.id))


@bp.post("/connections/<int:connection_id>/reveal")
@admin_required
def connection_reveal(connection_id: int) -> ResponseReturnValue:
    """htmx: the webhook secret, to paste into the service (admins only, never cached)."""
    connection = _connection_or_404(connection_id)
    connector = _connector_or_404(connection.connector_key)
    if connector.webhook is None:
        abort(404)
    error: str | None = None
    try:
        secret = connection.get_credentials().get(connector.webhook.secret_field, "")
    except VaultError as exc:
        secret, error = "", str(exc)
    response = current_app.make_response(
        render_template("connections/_secret.html", secret=secret, error=error))
    response.headers["Cache-Control"] = "no-store"
    return response
