"""``--json`` for every ``flask`` command that reports something: one flag, one printer, one exit rule.

Scripts and CI read these answers, so each shape is a contract: it is written down as a JSON Schema
in ``docs/cli/<group>-<command>.schema.json`` and tests check real output against it. Fields are
never renamed or removed; new fields may appear (schemas allow them). A secret Ponte generates (a
webhook secret, a password) is in the JSON of the command that created it, once, and nowhere else.

Errors a command detects before it has anything to report stay ``Error: ...`` on stderr with exit 1,
as without ``--json``. A command whose report is itself a verdict (a failed connection test, recipe
problems) prints its JSON on stdout and then exits 1: the report and the exit code say the same.
"""

from __future__ import annotations

import json
from typing import Any

import click

JSON_FLAG = click.option("--json", "as_json", is_flag=True,
                         help="Print JSON on stdout (shapes: docs/cli/*.schema.json).")


def dumps(data: Any) -> str:
    """The one JSON encoding of the CLI: indented, UTF-8 text kept readable, dates as ISO strings."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def emit(data: Any, *, ok: bool = True) -> None:
    """Print ``data`` as JSON; exit 1 afterwards when the report says something is wrong."""
    click.echo(dumps(data))
    if not ok:
        raise click.exceptions.Exit(1)
