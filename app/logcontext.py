"""What every log line says about where it comes from: the request, the run and the step.

Context variables, free of Flask, so the engine can set them in any process; :mod:`app.logs`
puts them on each record.
"""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("ponte_request_id", default=None)
#: Set by the runner while it executes a run (and a step), so every log line says which.
run_id_var: ContextVar[int | None] = ContextVar("ponte_run_id", default=None)
step_var: ContextVar[str | None] = ContextVar("ponte_step", default=None)
