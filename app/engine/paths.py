"""JSONPath compiled once per expression, shared by filters and mappings.

``jsonpath_ng.ext.parse`` costs ~350 µs and ``find`` ~8 µs, so every expression is parsed at load
time and kept in a module-level cache keyed by its text; evaluation never parses.
"""

from __future__ import annotations

import re
from typing import Any

from jsonpath_ng import JSONPath
from jsonpath_ng.ext.parser import parse

_CACHE: dict[str, JSONPath] = {}
_STEP_REF = re.compile(r"""^\$(?:\.steps|\[['"]steps['"]\])(?:\.([A-Za-z_][\w-]*)|\[['"]([^'"]+)['"]\])""")


class PathSyntaxError(ValueError):
    """A JSONPath that does not parse; the message carries the parser's reason."""


class _Missing:
    """The value of a path that found nothing: distinct from a JSON ``null`` in messages."""

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


def compile_path(expression: str) -> JSONPath:
    """Parse ``expression`` once; later calls with the same text reuse the compiled path."""
    compiled = _CACHE.get(expression)
    if compiled is not None:
        return compiled
    if not isinstance(expression, str) or not expression.strip().startswith("$"):
        raise PathSyntaxError(f"JSONPath {expression!r} must start with '$' (the event root)")
    try:
        compiled = parse(expression)
    except Exception as exc:  # the ply lexer and parser raise assorted types
        raise PathSyntaxError(f"bad JSONPath {expression!r}: {exc}") from None
    _CACHE[expression] = compiled
    return compiled


def find(compiled: JSONPath, doc: Any) -> Any:
    """One match → the value, several → a list of values, none → ``MISSING``."""
    matches = compiled.find(doc)
    if not matches:
        return MISSING
    if len(matches) == 1:
        return matches[0].value
    return [m.value for m in matches]


def referenced_step(expression: str) -> str | None:
    """The step key a ``$.steps.<key>...`` path reads from, or None for event paths."""
    found = _STEP_REF.match(expression.strip())
    if not found:
        return None
    return found.group(1) or found.group(2)
