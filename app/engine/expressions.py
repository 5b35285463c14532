"""Mapping value expressions, compiled into small node objects that render a document.

An expression is a scalar constant, ``{const: X}``, ``{path: JSONPATH, format?, default?}``,
``{text: "... {{ dotted.path }} ...", format?, default?}``, a nested object (a dict with no reserved
word) or a list of expressions. Compilation collects every problem with its location inside ``fields``.

A path or text with no value in the event (absent or null) takes its ``default:`` as written, else
the ``format:`` steps from its first ``{default: X}`` on; with neither, it is left out of the result
and recorded as :class:`Missing` for ``mapping.check_required`` to judge.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonpath_ng import JSONPath

from app.engine.coerce import CoerceError, short_repr, to_text
from app.engine.formatters import FormatterError, FormatterSpecError, Pipeline, compile_pipeline
from app.engine.paths import MISSING, PathSyntaxError, compile_path, find

RESERVED: tuple[str, ...] = ("path", "const", "text", "format", "default")
Location = tuple[str | int, ...]
_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}")
_DOTTED = re.compile(r"^[A-Za-z_][\w-]*(?:\.(?:[A-Za-z_][\w-]*|\d+))*$")


class MappingError(Exception):
    """A problem with one target field: ``target`` (dotted), ``source`` (JSONPath or ""), ``message``."""

    def __init__(self, target: str, source: str, message: str, *, location: Location = ()) -> None:
        super().__init__(f"{target}: {message}")
        self.target, self.source, self.message, self.location = target, source, message, location

    def to_dict(self) -> dict[str, str]:
        return {"target": self.target, "source": self.source, "message": self.message}


def target_name(location: Location) -> str:
    """``("variables", "VALOR")`` → ``variables.VALOR``; list positions as ``items[0]``."""
    out = ""
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class Missing(tuple[str, str]):
    """``(target, source)`` of a value the event lacks; ``location`` is the target as key parts
    (``("variables", "NOME COMPLETO")``), which a dotted name cannot always say."""

    location: Location

    def __new__(cls, target: str, source: str, location: Location) -> Missing:
        self = super().__new__(cls, (target, source))
        self.location = location
        return self


@dataclass
class RenderState:
    """What one ``apply`` collects besides the value: absent sources and formatter failures."""

    missing: list[Missing] = field(default_factory=list)
    errors: list[MappingError] = field(default_factory=list)


class Expr:
    """A compiled expression. ``render`` returns MISSING (never None) when there is nothing to put."""

    def render(self, doc: Any, location: Location, state: RenderState) -> Any:
        raise NotImplementedError

    def sources(self, location: Location) -> Iterator[tuple[str, str, Location]]:
        return iter(())

    def static_keys(self) -> set[str] | None:
        """Keys known at load time (objects and constant dicts), None when only a run can tell."""
        return None

    def children(self) -> list[tuple[str, Expr]]:
        return []


@dataclass(frozen=True)
class ConstExpr(Expr):
    value: Any

    def render(self, doc: Any, location: Location, state: RenderState) -> Any:
        return copy.deepcopy(self.value)

    def static_keys(self) -> set[str] | None:
        return set(map(str, self.value)) if isinstance(self.value, dict) else None

    def children(self) -> list[tuple[str, Expr]]:
        return [(str(k), ConstExpr(v)) for k, v in self.value.items()] if isinstance(self.value, dict) else []


def _formatted(pipeline: Pipeline, value: Any, source: str, location: Location, state: RenderState) -> Any:
    try:
        return pipeline(value)
    except FormatterError as exc:
        target = target_name(location)
        state.errors.append(MappingError(target, source, f"formatter {exc.formatter} failed on {source}: "
                                                         f"{exc.message}", location=location))
        return MISSING


def _absent(expr: PathExpr | TextExpr, sources: list[str], label: str, location: Location,
            state: RenderState) -> Any:
    """The value of an expression whose ``sources`` have no value: its default, or MISSING (noted)."""
    if expr.default is not MISSING:
        return copy.deepcopy(expr.default)
    fallback = expr.pipeline.when_absent()
    if fallback is not None:
        return _formatted(fallback, None, label, location, state)
    target = target_name(location)
    state.missing.extend(Missing(target, source, location) for source in sources)
    return MISSING


@dataclass(frozen=True)
class PathExpr(Expr):
    source: str
    compiled: JSONPath
    pipeline: Pipeline
    default: Any = MISSING

    def render(self, doc: Any, location: Location, state: RenderState) -> Any:
        value = find(self.compiled, doc)
        if value is MISSING or value is None:
            return _absent(self, [self.source], self.source, location, state)
        return _formatted(self.pipeline, value, self.source, location, state)

    def sources(self, location: Location) -> Iterator[tuple[str, str, Location]]:
        yield target_name(location), self.source, location


@dataclass(frozen=True)
class TextExpr(Expr):
    parts: tuple[str | tuple[str, JSONPath], ...]
    pipeline: Pipeline
    default: Any = MISSING

    def render(self, doc: Any, location: Location, state: RenderState) -> Any:
        out: list[str] = []
        absent: list[str] = []
        failed = False
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            source, compiled = part
            value = find(compiled, doc)
            if value is MISSING or value is None:
                absent.append(source)
                continue
            try:
                out.append(to_text(value))
            except CoerceError as exc:
                state.errors.append(MappingError(target_name(location), source, str(exc), location=location))
                failed = True
        if failed:
            return MISSING
        if absent:
            return _absent(self, absent, "text", location, state)
        return _formatted(self.pipeline, "".join(out), "text", location, state)

    def sources(self, location: Location) -> Iterator[tuple[str, str, Location]]:
        for part in self.parts:
            if not isinstance(part, str):
                yield target_name(location), part[0], location


@dataclass(frozen=True)
class ObjectExpr(Expr):
    fields: tuple[tuple[str, Expr], ...]

    def render(self, doc: Any, location: Location, state: RenderState) -> Any:
        out = {}
        for name, expr in self.fields:
            value = expr.render(doc, (*location, name), state)
            if value is not MISSING:
                out[name] = value
        return out

    def sources(self, location: Location) -> Iterator[tuple[str, str, Location]]:
        for name, expr in self.fields:
            yield from expr.sources((*location, name))

    def static_keys(self) -> set[str] | None:
        return {name for name, _ in self.fields}

    def children(self) -> list[tuple[str, Expr]]:
        return list(self.fields)


@dataclass(frozen=True)
class ListExpr(Expr):
    items: tuple[Expr, ...]

    def render(self, doc: Any, location: Location, state: RenderState) -> Any:
        rendered = (item.render(doc, (*location, i), state) for i, item in enumerate(self.items))
        return [value for value in rendered if value is not MISSING]

    def sources(self, location: Location) -> Iterator[tuple[str, str, Location]]:
        for i, item in enumerate(self.items):
            yield from item.sources((*location, i))


def _text_parts(template: str) -> tuple[str | tuple[str, JSONPath], ...]:
    parts: list[str | tuple[str, JSONPath]] = []
    cursor = 0
    for found in _PLACEHOLDER.finditer(template):
        parts.append(template[cursor:found.start()])
        dotted = found.group(1).strip()
        if not _DOTTED.match(dotted):
            raise ValueError(f"placeholder {found.group(0)!r} is not a dotted path like "
                             "{{ customer.name }} or {{ items.0.value }}")
        source = "$" + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in dotted.split("."))
        parts.append((source, compile_path(source)))
        cursor = found.end()
    parts.append(template[cursor:])
    return tuple(p for p in parts if p != "")


def _compile_operator(raw: Mapping[str, Any], loc: Location, errors: list[MappingError]) -> Expr | None:
    target = target_name(loc)
    kinds = [k for k in ("path", "const", "text") if k in raw]
    strangers = sorted(str(k) for k in raw if k not in RESERVED)
    source = str(raw.get("path", ""))
    before = len(errors)

    def fail(message: str, where: Location = loc) -> None:
        errors.append(MappingError(target, source, message, location=where))

    if strangers:
        fail(f"mixes the reserved words {', '.join(k for k in RESERVED if k in raw)} with field names "
             f"{', '.join(strangers)}; a nested object cannot use reserved words as keys")
    if len(kinds) != 1:
        found = f" (found {', '.join(kinds)})" if kinds else ""
        fail(f"an expression has exactly one of path, const or text{found}")
        return None
    kind = kinds[0]
    extra = {"const": {"format", "default"}, "text": set(), "path": set()}[kind] & set(raw)
    if extra:
        fail(f"{kind} does not take {', '.join(sorted(extra))}")
    if kind == "const":
        return None if len(errors) > before else ConstExpr(raw["const"])
    pipeline = Pipeline()
    try:
        pipeline = compile_pipeline(raw.get("format"))
    except FormatterSpecError as exc:
        for index, message in exc.problems:
            fail(message, (*loc, "format") if index is None else (*loc, "format", index))
    try:
        if kind == "path":
            expr: Expr = PathExpr(source, compile_path(raw["path"]), pipeline, raw.get("default", MISSING))
        elif isinstance(raw["text"], str):
            expr = TextExpr(_text_parts(raw["text"]), pipeline, raw.get("default", MISSING))
        else:
            raise ValueError(f"text must be a string, not {short_repr(raw['text'])}")
    except (PathSyntaxError, ValueError) as exc:
        fail(str(exc), (*loc, kind))
        return None
    return None if len(errors) > before else expr


def compile_expr(raw: Any, loc: Location, errors: list[MappingError]) -> Expr | None:
    """Compile one value expression, appending problems to ``errors``; None when it has any."""
    if isinstance(raw, dict):
        if any(k in RESERVED for k in raw):
            return _compile_operator(raw, loc, errors)
        children = [(str(k), compile_expr(v, (*loc, str(k)), errors)) for k, v in raw.items()]
        return ObjectExpr(tuple((k, c) for k, c in children if c is not None))
    if isinstance(raw, list):
        items = [compile_expr(v, (*loc, i), errors) for i, v in enumerate(raw)]
        return ListExpr(tuple(i for i in items if i is not None))
    if isinstance(raw, str) and "{{" in raw:
        errors.append(MappingError(target_name(loc), "", "looks like a template: write {text: \"...\"} to "
                                   "fill placeholders or {const: \"...\"} for a literal", location=loc))
        return None
    return ConstExpr(raw)


def compile_fields(fields: Any) -> tuple[ObjectExpr | None, list[MappingError]]:
    """Compile a mapping's ``fields`` (an object whose keys are the action's input properties)."""
    if not isinstance(fields, dict):
        return None, [MappingError("(fields)", "", "fields must be a mapping of input field: expression")]
    errors: list[MappingError] = []
    children = [(str(k), compile_expr(v, (str(k),), errors)) for k, v in fields.items()]
    return ObjectExpr(tuple((k, c) for k, c in children if c is not None)), errors
