"""Users (admins only): list, create, change role, reset a password, deactivate or reactivate.

A generated password is shown once, in the answer to creating the user or resetting their password.
An admin cannot deactivate or demote themself, so there is always someone left who can manage users.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.auth import admin_required, create_user, generate_password, reset_password
from app.db import get_session
from app.models import ROLES, User
from app.web import bp
from app.web.forms import UserForm


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users() -> ResponseReturnValue:
    session = get_session()
    form = UserForm()
    created_password = None
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            form.email.errors = [*form.email.errors, _("A user with this e-mail already exists.")]
        else:
            password = form.password.data or generate_password()
            user = create_user(session, email=email, name=form.name.data or "", role=form.role.data,
                               password=password, locale=form.locale.data)
            session.commit()
            flash(_("User %(email)s created.", email=user.email), "success")
            if not form.password.data:
                created_password = password
            form = UserForm(formdata=None)
    return _users_page(session, form, created_password)


def _users_page(session: Any, form: UserForm, created_password: str | None) -> str:
    people = session.scalars(select(User).order_by(User.email)).all()
    return render_template("users/list.html", users=people, form=form, roles=ROLES,
                           created_password=created_password)


@bp.post("/users/<int:user_id>")
@admin_required
def user_update(user_id: int) -> ResponseReturnValue:
    session = get_session()
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    action = request.form.get("action")
    if user.id == current_user.id and action in ("deactivate", "role"):
        flash(_("You cannot deactivate or demote yourself."), "error")
        return redirect(url_for("web.users"))
    if action == "password":
        password = generate_password()
        reset_password(session, user, password, actor=current_user.email)
        session.commit()
        flash(_("The password of %(email)s was reset.", email=user.email), "success")
        # Shown on this answer only (never in a redirect's cookie or URL); no-store keeps it out of caches.
        page = _users_page(session, UserForm(formdata=None), password)
        return page, 200, {"Cache-Control": "no-store"}
    if action == "deactivate":
        user.active = False
    elif action == "activate":
        user.active = True
    elif action == "role" and request.form.get("role") in ROLES:
        user.role = request.form["role"]
    else:
        abort(400)
    session.commit()
    flash(_("User %(email)s updated.", email=user.email), "success")
    return redirect(url_for("web.users"))
