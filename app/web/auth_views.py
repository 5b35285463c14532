"""Login, logout and the language switch.

A failed login says the same thing whether the e-mail exists or not; ``next`` only redirects to a
path on this site, never to another host.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from app.db import get_session
from app.models import User
from app.web import LOCALES, bp
from app.web.forms import LoginForm


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("web.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("web.dashboard")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("web.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        user = get_session().scalar(select(User).where(User.email == email))
        if user is not None and user.active and user.check_password(form.password.data or ""):
            session.pop("locale", None)
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Wrong e-mail or password."), "error")
    return render_template("auth/login.html", form=form), (401 if form.is_submitted() else 200)


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    logout_user()
    return redirect(url_for("web.login"))


@bp.post("/locale")
def set_locale() -> ResponseReturnValue:
    """Switch the language: saved on the user when logged in, else in the session."""
    locale = request.form.get("locale", "")
    if locale not in LOCALES:
        abort(400)
    if current_user.is_authenticated:
        db = get_session()
        user = db.get(User, current_user.id)
        user.locale = locale
        db.commit()
    else:
        session["locale"] = locale
    return redirect(_safe_next(request.form.get("next")))
