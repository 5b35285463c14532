"""Compiled mappings: a pure function from the mapping input document to an action's input.

The input document is the trigger output plus ``steps`` → ``{step_key: output}``. Each JSONPath and
formatter pipeline is compiled once when the mapping loads (see ``expressions``). There are no silent
nulls: a path without a value and without a ``default`` leaves its target OUT of the result and is
recorded in ``missing``, so ``check_required`` can say which event field was empty. Leaving a field
out is fine only where the action's schema declares it optional; a key the schema does not declare
(a free-form map's, such as template ``variables``) is there because the mapping asked for it, so
it must have a value or a ``default`` (``default: ""`` is how a mapping says a blank is fine).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from jsonschema.validators import validator_for

from app.engine.expressions import (
    RESERVED,
    Expr,
    Location,
    MappingError,
    ObjectExpr,
    RenderState,
    compile_fields,
    target_name,
)
from app.engine.paths import referenced_step

__all__ = [
    "RESERVED", "CompiledMapping", "MappedInput", "MappingError", "MappingErrors", "MappingSpecError",
    "check_required", "compile_mapping",
]


class MappingSpecError(ValueError):
    """Every problem found while compiling a mapping; each error's ``location`` is inside ``fields``."""

    def __init__(self, errors: list[MappingError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


class MappingErrors(MappingError):
    """Several MappingErrors from one event, raised as one (a MappingError, so one ``except`` does).

    ``str()`` joins every message; ``errors`` keeps them apart for the run's history.
    """

    def __init__(self, errors: list[MappingError]) -> None:
        first = errors[0]
        super().__init__(first.target, first.source, "; ".join(str(e) for e in errors))
        self.errors = errors

    def __str__(self) -> str:
        return self.message


class MappedInput(dict[str, Any]):
    """The action input (a plain dict) plus what could not be filled and where each target came from.

    ``missing`` holds ``(target field, source path)`` for values that were absent in the event.
    """

    def __init__(self, value: Mapping[str, Any], missing: Iterable[tuple[str, str]] = (),
                 sources: Mapping[str, str] | None = None) -> None:
        super().__init__(value)
        self.missing: tuple[tuple[str, str], ...] = tuple(missing)
        self.sources: dict[str, str] = dict(sources or {})

    @property
    def value(self) -> dict[str, Any]:
        """A plain-dict copy, for storing as the step's input."""
        return dict(self)


@dataclass(frozen=True)
class CompiledMapping:
    """A mapping compiled once; ``apply`` is pure and cheap (no JSONPath parsing)."""

    root: ObjectExpr
    where: str

    def apply(self, doc: Mapping[str, Any]) -> MappedInput:
        """Map one input document; raises MappingErrors if a formatter rejects a value."""
        state = RenderState()
        value = self.root.render(doc, (), state)
        if state.errors:
            raise MappingErrors(state.errors)
        return MappedInput(value, state.missing, self._source_map)

    @cached_property
    def _source_map(self) -> dict[str, str]:
        return {target: source for target, source, _ in self.sources()}

    def sources(self) -> list[tuple[str, str, tuple[str | int, ...]]]:
        """Every ``(target, source path, location in fields)`` the mapping reads, text placeholders too."""
        return list(self.root.sources(()))

    def step_references(self) -> list[tuple[str, str, str, tuple[str | int, ...]]]:
        """``(target, source, step key, location)`` for each path reading an earlier step's output."""
        found = []
        for target, source, location in self.sources():
            step = referenced_step(source)
            if step is not None:
                found.append((target, source, step, location))
        return found

    def unsatisfied_required(self, input_schema: Mapping[str, Any]) -> list[MappingError]:
        """Required input properties (recursively, for nested objects) that no field sets at all.

        Only presence is static; whether a path has a value in a given event is ``check_required``'s job.
        """
        problems: list[MappingError] = []
        _required(self.root, input_schema, (), problems)
        return problems


def _required(expr: Expr, schema: Any, location: tuple[str | int, ...], out: list[MappingError]) -> None:
    if not isinstance(schema, Mapping):
        return
    keys = expr.static_keys()
    if keys is None:
        return
    for name in schema.get("required", []):
        if name not in keys:
            target = target_name((*location, name))
            out.append(MappingError(target, "", "required by the action's input, but the mapping does not "
                                                "set it", location=location))
    properties = schema.get("properties", {})
    for name, child in expr.children():
        if name in properties:
            _required(child, properties[name], (*location, name), out)


def compile_mapping(fields: Mapping[str, Any], *, where: str) -> CompiledMapping:
    """Compile a mapping's ``fields``; raises MappingSpecError listing every problem.

    ``where`` names the mapping in run-time messages (``mappings/charge_to_contract.yaml``).
    """
    root, errors = compile_fields(fields)
    if errors or root is None:
        raise MappingSpecError(errors)
    return CompiledMapping(root, where)


def check_required(mapped: Mapping[str, Any], input_schema: Mapping[str, Any],
                   missing: Iterable[tuple[str, str]]) -> list[MappingError]:
    """Validate a mapped input against the action's JSON Schema, reporting every error at once.

    A required property that is absent because its path had no value names both ends:
    ``signer_email: required, but $.customer.email has no value in this event``. So does an absent
    key the schema does not declare, since only the mapping asked for it (a ZapSign document must
    not go out with ``{{EMAIL}}`` unfilled): ``variables.EMAIL: $.customer.email has no value in
    this event; ...``. An absent optional property the schema declares is simply left out.
    """
    missing = list(missing)
    missing_by_target = dict(missing)
    sources: dict[str, str] = getattr(mapped, "sources", {})
    cls = validator_for(input_schema)
    validator = cls(input_schema, format_checker=cls.FORMAT_CHECKER)
    errors: list[MappingError] = []
    for error in validator.iter_errors(dict(mapped)):
        parent = tuple(error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, Mapping):
            name = next((p for p in error.validator_value  # type: ignore[union-attr]  # required: a list
                         if p not in error.instance and repr(p) in error.message), "?")
            target = target_name((*parent, name))
            source = missing_by_target.get(target, "")
            reason = f"{source} has no value in this event" if source else "the mapping does not set it"
            errors.append(MappingError(target, source, f"required, but {reason}"))
        else:
            target = target_name(parent) or "(input)"
            source = sources.get(target, "")
            suffix = f" (from {source})" if source else ""
            errors.append(MappingError(target, source, f"{error.message}{suffix}"))
    reported = {e.target for e in errors}
    for entry in missing:
        target, source = entry
        location = getattr(entry, "location", None) or _location(target)
        if target not in reported and not _declared(input_schema, location):
            errors.append(MappingError(target, source, f"{source} has no value in this event; give the "
                                                       'field a default (default: "" if a blank is fine)'))
    return sorted(errors, key=lambda e: e.target)


def _location(target: str) -> Location:
    """``variables.VALOR`` → ``("variables", "VALOR")``, ``items[0]`` → ``("items", 0)``."""
    return tuple(int(index) if index else name for index, name in re.findall(r"\[(\d+)\]|([^.\[\]]+)", target))


def _declared(schema: Mapping[str, Any], location: Location) -> bool:
    """Whether every key on ``location`` is a property the schema declares; list positions follow
    ``items``. Local ``$ref`` and ``allOf``/``anyOf``/``oneOf`` branches are looked into."""
    node: Any = schema
    for part in location:
        branches = _branches(node, schema)
        if isinstance(part, int):
            node = next((b["items"] for b in branches if isinstance(b.get("items"), Mapping)), {})
            continue
        node = next((b["properties"][part] for b in branches
                     if isinstance(b.get("properties"), Mapping) and part in b["properties"]), None)
        if node is None:
            return False
    return True


def _branches(node: Any, root: Mapping[str, Any], depth: int = 0) -> list[Mapping[str, Any]]:
    if not isinstance(node, Mapping) or depth > 10:
        return []
    found = [node]
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        target: Any = root
        for key in filter(None, ref[1:].split("/")):
            key = key.replace("~1", "/").replace("~0", "~")
            target = target.get(key) if isinstance(target, Mapping) else None
        found += _branches(target, root, depth + 1)
    for keyword in ("allOf", "anyOf", "oneOf"):
        for branch in node.get(keyword) or []:
            found += _branches(branch, root, depth + 1)
    return found
