"""The Flask app of the current context, if any, without importing Flask.

The engine, the vault and the models run in three kinds of process: a web process (Flask), a
``flask`` CLI command, and a plain Python worker that never imports Flask (a queue worker). Code
shared by all three asks here whether a Flask app context is active and otherwise uses what its
process installed explicitly (:func:`app.vault.install`, :func:`app.engine.settings.install`).
"""

from __future__ import annotations

import sys
from typing import Any


def current_flask_app() -> Any | None:
    """The current Flask app, or None outside an app context (and whenever Flask is not loaded)."""
    flask = sys.modules.get("flask")
    if flask is None or not flask.has_app_context():
        return None
    return flask.current_app._get_current_object()
