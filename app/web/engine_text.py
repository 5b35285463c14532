"""The engine's stored run and step errors, said in the page's language.

The engine writes its own sentences into ``runs.error`` / ``steps.error`` in English (they are
read by the CLI, the API and logs too, and old rows keep them). The pages show them through
:func:`engine_text`, which rewrites the engine's known phrases (retries given up, values missing
from the event, interrupted attempts) in the user's language and leaves everything else as stored:
names of fields and steps, paths, and the services' own messages (already in the user's words).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext as _

# (pattern, the translated replacement built from the match); applied in order, each everywhere.
_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"gave up after (\d+) attempts: the worker stopped during this run each time "
                r"\(killed, out of memory\?\); see the worker's logs, then replay it"),
     lambda m: _("gave up after %(n)s attempts: the worker stopped during this run each time (killed, out of "
                 "memory?); see the worker's logs, then replay it", n=m[1])),
    (re.compile(r"gave up after (\d+) attempts: "), lambda m: _("gave up after %(n)s attempts: ", n=m[1])),
    (re.compile(r"could not be completed within ([\d.]+) h: "),
     lambda m: _("could not be completed within %(hours)s h: ", hours=m[1])),
    (re.compile(r"\binterrupted: "), lambda m: _("interrupted: ")),
    (re.compile(r"required, but (\S+) has no value in this event"),
     lambda m: _("required, but %(path)s has no value in this event", path=m[1])),
    (re.compile(r"required, but the mapping does not set it"),
     lambda m: _("required, but the mapping does not set it")),
    (re.compile(r"(\S+) has no value in this event; give the field a default \(default: \"\" if a blank is fine\)"),
     lambda m: _("%(path)s has no value in this event; give the field a default (default: \"\" if a blank is fine)",
                 path=m[1])),
    # The connector SDK's HTTP errors (connectors/sdk/http.py): the service's own message follows.
    (re.compile(r"\b([\w-]+) refused the credentials \(HTTP (\d+)\): "),
     lambda m: _("%(service)s refused the credentials (HTTP %(status)s): ", service=m[1], status=m[2])),
    (re.compile(r"\b([\w-]+): API plan required \(HTTP 402\): "),
     lambda m: _("%(service)s: API plan required (HTTP 402): ", service=m[1])),
    (re.compile(r"\b([\w-]+) is rate limiting us \(HTTP 429\)"),
     lambda m: _("%(service)s is limiting how often it can be called (HTTP 429)", service=m[1])),
    (re.compile(r"\b([\w-]+) had a temporary failure \(HTTP (\d+)\)"),
     lambda m: _("%(service)s had a temporary failure (HTTP %(status)s)", service=m[1], status=m[2])),
    (re.compile(r"\b([\w-]+) refused the request \(HTTP (\d+)\): "),
     lambda m: _("%(service)s refused the request (HTTP %(status)s): ", service=m[1], status=m[2])),
    (re.compile(r"\bcould not reach ([\w-]+)"), lambda m: _("could not reach %(service)s", service=m[1])),
    (re.compile(r"\b([\w-]+) did not answer in time"),
     lambda m: _("%(service)s did not answer in time", service=m[1])),
    (re.compile(r"\b([\w-]+) did not accept the connection in time"),
     lambda m: _("%(service)s did not accept the connection in time", service=m[1])),
    (re.compile(r"value (.+?) cannot be read as (number|date|boolean)"),
     lambda m: _("value %(value)s cannot be read as %(kind)s", value=m[1], kind={
         "number": _("a number"), "date": _("a date"), "boolean": _("yes or no")}[m[2]])),
)


def engine_text(text: str | None) -> str:
    """``text`` with the engine's phrases in the page's language (plain text: the template escapes it)."""
    if not text:
        return ""
    out = str(text)
    for pattern, replace in _RULES:
        out = pattern.sub(replace, out)
    return out
