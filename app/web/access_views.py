"""Access (admins only): API tokens (list, revoke), login lockouts (see, lift) and the audit log.

The page reads the same rows as ``/api/tokens`` and ``flask tokens``; a secret is never on it (a
token shows its 8-character prefix). Every revocation and unlock is itself audited.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app import login_guard
from app.audit import record
from app.auth import admin_required
from app.db import get_session
from app.models import AuditEvent
from app.tokens import TokenError, revoke, status, visible_tokens
from app.web import bp

AUDIT_ROWS = 50
AUDIT_LABELS = {
    "login.succeeded": _l("login"),
    "login.failed": _l("failed login"),
    "login.throttled": _l("login refused while locked"),
    "login.locked": _l("lockout"),
    "login.unlocked": _l("lock lifted"),
    "token.created": _l("token created"),
    "token.refused": _l("token refused"),
    "token.revoked": _l("token revoked"),
    "automation.test_sent": _l("automation test sent for real"),
}


def audit_label(action: str) -> str:
    return str(AUDIT_LABELS.get(action, action))


@bp.get("/access")
@admin_required
def access() -> ResponseReturnValue:
    session = get_session()
    tokens = visible_tokens(session, None)
    audit = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(AUDIT_ROWS)).all()
    return render_template("access/index.html", tokens=tokens, token_status=status,
                           locks=login_guard.locks(session), audit=audit, audit_label=audit_label)


@bp.post("/access/tokens/<int:token_id>/revoke")
@admin_required
def access_revoke(token_id: int) -> ResponseReturnValue:
    session = get_session()
    try:
        token = revoke(session, token_id, None)
    except TokenError:
        abort(404)
    record(session, "token.revoked", actor=current_user.email, subject=f"token {token.id} {token.prefix}…",
           owner=token.user.email)
    session.commit()
    flash(_("Token %(name)s revoked.", name=token.name), "success")
    return redirect(url_for("web.access"))


@bp.post("/access/locks/unlock")
@admin_required
def access_unlock() -> ResponseReturnValue:
    session = get_session()
    key = request.form.get("key", "")
    if not key.startswith(("account:", "address:")) or not login_guard.unlock(session, key):
        abort(404)
    record(session, "login.unlocked", actor=current_user.email, subject=key)
    session.commit()
    flash(_("Lock on %(key)s lifted.", key=key.split(":", 1)[1]), "success")
    return redirect(url_for("web.access"))
