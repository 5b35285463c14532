"""Business references of a run (payment id, document token, name, CPF/CNPJ, e-mail), for search.

A trigger declares where its references are (``Trigger.references``: name → JSONPath over its
output); this module never names a connector. When a run's trigger step has produced the output,
:func:`record` stores each reference as the event said it (``runs.refs``, for display) and as search
keys (``run_references``, indexed on ``(value, run_id)``), in the run's own transaction.

A search key is the value folded (lower case, accents removed, spaces collapsed); a value that is
digits with punctuation (``529.982.247-25``) also gets its bare digits; a value of several words also
gets each word-suffix (``costa andrade``, ``andrade``), so a name is found by any of its words.
A query is folded the same way and matches keys that start with it: a byte-wise range on the index
(``>= q`` and ``< q + U+10FFFF``), never a LIKE over payloads. Queries shorter than
:data:`MIN_PREFIX` characters match whole keys only, so one letter never walks the whole index.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, delete, insert, select
from sqlalchemy.orm import Session

from app.engine.paths import MISSING, PathSyntaxError, compile_path, find
from app.models import Run, RunReference
from connectors import registry

MIN_PREFIX = 3
MAX_KEY = 255
MAX_WORDS = 6
_TOP = "\U0010ffff"
_SPACES = re.compile(r"\s+")
_FORMATTED_DIGITS = re.compile(r"^[\d.\-/() ]+$")


def fold(text: str) -> str:
    """Lower case, accents removed, inner spaces collapsed: ``  Marina  Ândrade`` → ``marina andrade``."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed
                       if not unicodedata.combining(ch) and unicodedata.category(ch) not in ("Cc", "Cs"))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def search_keys(value: Any) -> set[str]:
    """The keys one reference value is found by (empty for no value)."""
    if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
        return set()
    folded = fold(str(value))[:MAX_KEY]
    if not folded:
        return set()
    keys = {folded}
    if _FORMATTED_DIGITS.match(folded):
        digits = "".join(ch for ch in folded if ch.isdigit())
        if digits:
            keys.add(digits)
    words = folded.split(" ")
    for start in range(1, min(len(words), MAX_WORDS)):
        keys.add(" ".join(words[start:]))
    return keys


def query_key(text: str) -> str:
    """A search text folded like the keys; formatted digits (a CPF typed with dots) become digits."""
    folded = fold(text)[:MAX_KEY]
    if _FORMATTED_DIGITS.match(folded) and any(ch.isdigit() for ch in folded):
        return "".join(ch for ch in folded if ch.isdigit())
    return folded


def matching_run_ids(text: str) -> Any:
    """A subquery of the ids of runs with a reference matching ``text`` (see the module docstring)."""
    key = query_key(text)
    value = RunReference.value
    condition = (value == key) if len(key) < MIN_PREFIX else (value >= key) & (value < key + _TOP)
    return select(RunReference.run_id).where(condition)


def run_has_reference(text: str) -> ColumnElement[bool]:
    """``WHERE`` clause for run queries: the run has a reference matching ``text``."""
    return Run.id.in_(matching_run_ids(text))


@lru_cache(maxsize=256)
def _declared(trigger_key: str) -> tuple[tuple[str, Any], ...]:
    """A trigger's references with their paths compiled once; a bad path is left out (the
    registry's conformance test is where it is caught)."""
    try:
        _, trigger = registry.get_trigger(trigger_key)
    except LookupError:
        return ()
    compiled = []
    for name, path in (trigger.references or {}).items():
        try:
            compiled.append((str(name)[:64], compile_path(path)))
        except PathSyntaxError:
            continue
    return tuple(compiled)


def extract(trigger_key: str, output: Any) -> dict[str, Any]:
    """``{name: value}`` of the references ``trigger_key`` declares that have a scalar value in ``output``."""
    found: dict[str, Any] = {}
    for name, path in _declared(trigger_key):
        value = find(path, output)
        if value is MISSING or not search_keys(value):
            continue
        found[name] = value if isinstance(value, str) else str(value)
    return found


def record(session: Session, run: Run, trigger_key: str, output: Any) -> None:
    """Store the references of ``run`` from its trigger ``output``; no commit (the runner's commit
    carries them). A retry that produced another output replaces what an earlier attempt stored."""
    refs = extract(trigger_key, output) if isinstance(output, Mapping) else {}
    if run.refs == (refs or None):
        return
    if run.refs is not None:
        session.execute(delete(RunReference).where(RunReference.run_id == run.id))
    rows = [{"run_id": run.id, "name": name, "value": key}
            for name, value in refs.items() for key in sorted(search_keys(value))]
    unique = list({(r["name"], r["value"]): r for r in rows}.values())
    if unique:
        session.execute(insert(RunReference), unique)
    run.refs = refs or None


def shown(refs: Mapping[str, Any] | None, limit: int = 3) -> str:
    """The line a run list shows: the first ``limit`` distinct reference values, ``·``-separated."""
    values: list[str] = []
    for value in (refs or {}).values():
        if str(value) not in values:
            values.append(str(value))
    return " · ".join(values[:limit])
