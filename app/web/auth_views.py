"""Login, logout and the language switch.

A failed login says the same thing, takes the same work and counts the same (``app.login_guard``)
whether the e-mail exists or not; a locked account or address is refused before the password is
read. Every attempt is in the audit log. The session is emptied and signed anew at login, so nothing
set before it (a fixed session) carries over. ``next`` only redirects to a path on this site.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from app import login_guard
from app.audit import client_address, record
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
    status = 401 if form.is_submitted() else 200
    if form.validate_on_submit():
        answer = _attempt((form.email.data or "").strip().lower(), form.password.data or "")
        if not isinstance(answer, int):
            return answer
        status = answer
    return render_template("auth/login.html", form=form), status


def _attempt(email: str, password: str) -> ResponseReturnValue | int:
    """Check one login attempt: a redirect when it succeeds, else the status to answer (401, or
    429 while locked) with the reason flashed."""
    db = get_session()
    address = client_address()
    user = db.scalar(select(User).where(User.email == email))
    lock = login_guard.current_lock(db, [login_guard.account_key(email), login_guard.address_key(address)])
    good = login_guard.verify(user, password)  # the same work whatever happens next
    if lock is not None:
        record(db, "login.throttled", actor=email, subject=lock.key, until=lock.until.isoformat())
        db.commit()
        flash(_("Too many failed attempts. Try again in %(minutes)d minutes.", minutes=lock.minutes_left()),
              "error")
        return 429
    if not good or user is None:
        record(db, "login.failed", actor=email, subject=email)
        for key in login_guard.record_failure(db, email, address):
            record(db, "login.locked", actor=email, subject=key)
        db.commit()
        flash(_("Wrong e-mail or password."), "error")
        return 401
    login_guard.record_success(db, email)
    record(db, "login.succeeded", actor=email, subject=email)
    db.commit()
    session.clear()  # a new session: nothing planted before login survives it
    login_user(user)
    session.modified = True
    return redirect(_safe_next(request.args.get("next")))


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
        if user is not None:
            user.locale = locale
            db.commit()
    else:
        session["locale"] = locale
    return redirect(_safe_next(request.form.get("next")))
