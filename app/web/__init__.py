"""The Ops web app: login, connections, the automation wizard, run history (Jinja + htmx, no build).

``init_app(app)`` wires what the pages need and nothing else starts: CSRF on every form (the JSON API
under ``/api`` and the inbound ``/webhooks`` are exempt: they authenticate with bearer tokens and
per-connection secrets), Babel with the user's locale (pt-BR by default), template filters for money
and dates, security headers on every response, and the blueprint itself. Every page needs a login.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, request, session
from flask_babel import Babel
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

from app.web import formatting, labels, metadata

LOCALES = ("pt_BR", "en")
DEFAULT_LOCALE = "pt_BR"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/web")
csrf = CSRFProtect()
babel = Babel()


def select_locale() -> str:
    """The logged-in user's locale, else the one picked on the login page, else pt-BR."""
    if current_user and current_user.is_authenticated:
        locale = getattr(current_user, "locale", None)
        if locale in LOCALES:
            return locale
    locale = session.get("locale")
    return locale if locale in LOCALES else DEFAULT_LOCALE


def security_headers(response: Response) -> Response:
    """CSP (self only), no framing, no sniffing, no referrer leaking run ids to other sites."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _exempt_machine_endpoints() -> None:
    from app import api, webhooks

    csrf.exempt(api.bp)
    csrf.exempt(webhooks.bp)


def init_app(app: Flask) -> None:
    """Register the web blueprint with CSRF, Babel, filters and headers (called by ``create_app``)."""
    from app.auth import login_manager
    from app.web import (  # noqa: F401  (routes register on import)
        access_views,
        alerts_views,
        auth_views,
        collection_views,
        connections_views,
        dashboard,
        demo_views,
        recipes_views,
        runs_views,
        users_views,
        wizard,
        wizard_test,
    )

    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("PONTE_TIMEZONE", "America/Sao_Paulo")
    csrf.init_app(app)
    _exempt_machine_endpoints()
    babel.init_app(app, locale_selector=select_locale)
    login_manager.login_view = "web.login"
    login_manager.login_message = None
    app.after_request(security_headers)
    formatting.register_filters(app)
    from app.web.engine_text import engine_text

    app.jinja_env.filters["engine_text"] = engine_text
    from app.connection_check import reason_text
    from app.web.wizard_schedule import summary as schedule_summary

    app.jinja_env.globals.update(status_label=labels.status_label, operator_label=labels.operator_label,
                                 schedule_summary=schedule_summary, error_kind_label=labels.error_kind_label,
                                 trigger_title=labels.trigger_title, action_title=labels.action_title,
                                 condition_value=labels.condition_value, field_label=labels.field_label,
                                 unary_operators=labels.UNARY_OPERATORS, connector_title=metadata.title,
                                 connector_text=metadata.text, step_summary=metadata.step_summary,
                                 connection_reason=reason_text)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"locales": LOCALES, "current_locale": select_locale(), "request_path": request.path}

    app.register_blueprint(bp)
