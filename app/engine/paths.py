"""JSONPath compiled once per expression, shared by filters and mappings.

``jsonpath_ng.ext.parse`` costs ~350 µs and ``find`` ~8 µs, so every expression is parsed at load
time and kept in a module-level cache keyed by its text; evaluation never parses.

Most recipe paths are plain chains of names (``$.payment.id``, ``$["customer"].email``). For those,
``find`` walks the dicts directly (~0.3 µs instead of ~8 µs, `bench/engine_cost.py`). Whether a
path is such a chain is read from the parsed tree, not guessed from its text, so the fast walk and
jsonpath-ng agree by construction; every other path (filters, slices, wildcards) goes to jsonpath-ng.
"""

from __future__ import annotations

import re
from typing import Any

from jsonpath_ng import JSONPath
from jsonpath_ng import jsonpath as _ast
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
_NOT_SET = object()


class DottedPath(JSONPath):
    """A parsed path that is only ``$`` followed by single names: ``find`` is a walk of ``.get``.

    It stays a JSONPath (``find``, ``update``, ``str`` delegate to the parsed tree) so code that
    wants jsonpath-ng's datums still gets them; ``paths.find`` uses ``keys``.
    """

    def __init__(self, parsed: JSONPath, keys: tuple[str, ...]) -> None:
        self.parsed = parsed
        self.keys = keys

    def find(self, data: Any) -> Any:
        return self.parsed.find(data)

    def update(self, data: Any, val: Any) -> Any:
        return self.parsed.update(data, val)

    def __str__(self) -> str:
        return str(self.parsed)

    def __repr__(self) -> str:
        return f"DottedPath({self.parsed!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DottedPath) and self.parsed == other.parsed

    def __hash__(self) -> int:
        return hash(self.keys)


def _dotted_keys(node: JSONPath) -> tuple[str, ...] | None:
    """The names of a ``Root / Fields(name) / Fields(name) ...`` chain, else None."""
    keys: list[str] = []
    while isinstance(node, _ast.Child):
        right = node.right
        if (type(right) is not _ast.Fields or len(right.fields) != 1
                or getattr(right, "_deprecated_wildcard_use", False) or right.fields[0] == _ast.auto_id_field):
            return None
        keys.append(right.fields[0])
        node = node.left
    if type(node) is not _ast.Root:
        return None
    return tuple(reversed(keys))


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
    keys = _dotted_keys(compiled)
    if keys is not None:
        compiled = DottedPath(compiled, keys)
    _CACHE[expression] = compiled
    return compiled


def find(compiled: JSONPath, doc: Any) -> Any:
    """One match → the value, several → a list of values, none → ``MISSING``."""
    if type(compiled) is DottedPath:
        value = doc
        for key in compiled.keys:
            try:
                value = value.get(key, _NOT_SET)
            except (TypeError, AttributeError):  # what jsonpath-ng's Fields does on a non-mapping
                return MISSING
            if value is _NOT_SET:
                return MISSING
        return value
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
