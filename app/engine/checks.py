"""Everything a recipe or mapping must satisfy beyond its JSON Schema, reported all at once.

Each check names the document path it is about; the loader turns paths into ``file:line``. A section
that already failed its schema is not checked further, so one mistake gives one message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.engine.filters import FilterSpecError, compile_filters
from app.engine.mapping import CompiledMapping, MappingSpecError, compile_mapping
from app.engine.schema import MAPPING_SCHEMA, RECIPE_SCHEMA, schema_errors
from app.engine.spec import RETRY_DEFAULTS, MappingSpec, RecipeSpec, StepSpec, TriggerSpec

Path = tuple[str | int, ...]


class Registry(Protocol):
    """What the engine needs from ``connectors.registry`` (injectable, so tests use a fake)."""

    def get_trigger(self, qualified: str) -> tuple[Any, Any]: ...

    def get_action(self, qualified: str) -> tuple[Any, Any]: ...


@dataclass
class Env:
    """What a document is checked against: the registry, loaded mappings, known connection names."""

    registry: Registry
    mappings: Mapping[str, MappingSpec] = field(default_factory=dict)
    broken_mappings: Mapping[str, str] = field(default_factory=dict)  # key -> file with the errors
    connections: set[str] | None = None


@dataclass
class Report:
    """Problems of one document as ``(path, message)``."""

    problems: list[tuple[Path, str]] = field(default_factory=list)
    # Connection names the document uses that do not exist (yet): a recipe whose only problems are
    # these is "waiting for a connection", not broken (see LoadResult.waiting).
    missing_connections: list[str] = field(default_factory=list)

    def add(self, path: Path, message: str) -> None:
        self.problems.append((path, message))


def _schema(doc: Any, schema: dict[str, Any], report: Report) -> set[Path]:
    """Report schema errors; return the sections (``("trigger",)``, ``("steps", 2)``) they touch."""
    bad: set[Path] = set()
    for path, message in schema_errors(doc, schema):
        report.add(path, message)
        bad.add(path[:2] if path[:1] == ("steps",) else path[:1])
    return bad


def _connection(name: str, path: Path, env: Env, report: Report) -> None:
    if env.connections is None or name in env.connections:
        return
    known = ", ".join(sorted(env.connections)) or "none yet; create one first"
    report.add(path, f"unknown connection {name!r}; known connections: {known}")
    report.missing_connections.append(name)


def _lookup(getter: Any, key: str, path: Path, report: Report) -> Any:
    try:
        return getter(key)[1]
    except LookupError as exc:
        report.add(path, str(exc))
        return None


def check_mapping(doc: Any, report: Report, env: Env, *, source: str, stem: str | None) -> MappingSpec | None:
    """Validate a mapping document; a MappingSpec only when there is no problem at all."""
    bad = _schema(doc, MAPPING_SCHEMA, report)
    if not isinstance(doc, dict):
        return None
    key = doc.get("key")
    if stem is not None and ("key",) not in bad and key != stem:
        report.add(("key",), f"key {key!r} must equal the file name {stem!r}")
    action = None
    if ("action",) not in bad:
        action = _lookup(env.registry.get_action, doc["action"], ("action",), report)
    compiled = None
    if ("fields",) not in bad:
        try:
            compiled = compile_mapping(doc["fields"], where=source)
        except MappingSpecError as exc:
            for error in exc.errors:
                report.add(("fields", *error.location), str(error))
    if compiled is not None and action is not None:
        for error in compiled.unsatisfied_required(action.input_schema):
            report.add(("fields", *error.location), f"{error} ({doc['action']})")
    if report.problems or compiled is None:
        return None
    return MappingSpec(str(key), doc["action"], compiled, source, doc)


def check_recipe(doc: Any, report: Report, env: Env, *, source: str, stem: str | None) -> RecipeSpec | None:
    """Validate a recipe document; a RecipeSpec only when there is no problem at all."""
    bad = _schema(doc, RECIPE_SCHEMA, report)
    if not isinstance(doc, dict):
        return None
    if stem is not None and ("key",) not in bad and doc.get("key") != stem:
        report.add(("key",), f"key {doc.get('key')!r} must equal the file name {stem!r}")
    trigger = None
    if ("trigger",) not in bad and isinstance(doc.get("trigger"), dict):
        trigger = _trigger(doc["trigger"], report, env)
    filters = None
    if ("filters",) not in bad:
        try:
            filters = compile_filters(doc.get("filters"))
        except FilterSpecError as exc:
            for path, message in exc.problems:
                report.add(("filters", *path), message)
    steps: list[StepSpec] = []
    seen: list[str] = []
    for i, raw in enumerate(doc.get("steps") or []):
        if ("steps", i) not in bad and ("steps",) not in bad:
            step = _step(raw, ("steps", i), seen, report, env, source)
            if step is not None:
                steps.append(step)
        if isinstance(raw, dict) and isinstance(raw.get("key"), str):
            seen.append(raw["key"])
    retry = {**RETRY_DEFAULTS, **(doc.get("retry") or {})} if ("retry",) not in bad else {}
    if retry and retry["base_delay_seconds"] > retry["max_delay_seconds"]:
        report.add(("retry",), "base_delay_seconds must not exceed max_delay_seconds")
    if report.problems or trigger is None or filters is None:
        return None
    return RecipeSpec(key=doc["key"], name=doc["name"], description=doc.get("description", ""),
                      enabled=doc.get("enabled", True), trigger=trigger, filters=filters,
                      steps=tuple(steps), retry=retry, source=source, document=doc)


def _trigger(raw: dict[str, Any], report: Report, env: Env) -> TriggerSpec | None:
    try:
        connector, trigger = env.registry.get_trigger(raw["event"])
    except LookupError as exc:
        report.add(("trigger", "event"), str(exc))
        connector = trigger = None
    connection = raw.get("connection")
    if connection is not None and connector is not None and not getattr(connector, "needs_connection", True):
        report.add(("trigger", "connection"), f"{raw['event']} needs no connection: remove trigger.connection")
    elif connection is not None:
        _connection(connection, ("trigger", "connection"), env, report)
    elif connector is not None and getattr(connector, "needs_connection", True):
        report.add(("trigger",), f"trigger.connection is missing: name the {connector.key} connection "
                                 f"{raw['event']} comes from")
    options = raw.get("options") or {}
    schema = getattr(trigger, "options_schema", None)
    option_errors = schema_errors(options, schema) if trigger is not None and schema else []
    for path, message in option_errors:
        report.add(("trigger", "options", *path), f"trigger options: {message}")
    check = getattr(trigger, "check_options", None)
    if check is not None and not option_errors:
        for name, message in check(options):
            report.add(("trigger", "options", *([name] if name else [])),
                       f"trigger options: {name + ': ' if name else ''}{message}")
    return TriggerSpec(connection, raw["event"], options) if trigger is not None else None


def _step(raw: dict[str, Any], at: Path, seen: list[str], report: Report, env: Env,
          source: str) -> StepSpec | None:
    before = len(report.problems)
    key, action_key = raw["key"], raw["action"]
    if key in seen:
        report.add((*at, "key"), f"step key {key!r} is used twice; step keys must be unique in a recipe")
    _connection(raw["connection"], (*at, "connection"), env, report)
    action = _lookup(env.registry.get_action, action_key, (*at, "action"), report)
    mapping_key = raw.get("mapping")
    if ("mapping" in raw) == ("input" in raw):
        report.add(at, f"step {key!r} needs either mapping: <key> or input: {{...}}, not "
                       f"{'both' if mapping_key else 'neither'}")
        return None
    compiled: CompiledMapping | None = None
    if mapping_key is not None:
        compiled = _referenced(mapping_key, action_key, (*at, "mapping"), report, env)
        refs_at, prefix = None, f"mapping {mapping_key!r}: "
    else:
        refs_at, prefix = (*at, "input"), ""
        try:
            compiled = compile_mapping(raw["input"], where=f"{source} step {key}")
        except MappingSpecError as exc:
            for error in exc.errors:
                report.add((*refs_at, *error.location), str(error))
        if compiled is not None and action is not None:
            for error in compiled.unsatisfied_required(action.input_schema):
                report.add((*refs_at, *error.location), f"{error} ({action_key})")
    for target, path, step_ref, location in compiled.step_references() if compiled else []:
        if step_ref not in seen:
            earlier = f"earlier steps: {', '.join(seen)}" if seen else f"{key!r} is the first step"
            report.add((*refs_at, *location) if refs_at else (*at, "mapping"),
                       f"{prefix}{target}: {path} reads step {step_ref!r}, which does not run before "
                       f"step {key!r} ({earlier})")
    if len(report.problems) > before or compiled is None or action is None:
        return None
    return StepSpec(key, action_key, raw["connection"], compiled, mapping_key)


def _referenced(mapping_key: str, action_key: str, at: Path, report: Report,
                env: Env) -> CompiledMapping | None:
    spec = env.mappings.get(mapping_key)
    if spec is None:
        if mapping_key in env.broken_mappings:
            report.add(at, f"mapping {mapping_key!r} has errors (see {env.broken_mappings[mapping_key]})")
        else:
            known = ", ".join(sorted(env.mappings)) or "none"
            report.add(at, f"mapping {mapping_key!r} does not exist; known mappings: {known}")
        return None
    if spec.action != action_key:
        report.add(at, f"mapping {mapping_key!r} is written for action {spec.action!r}, but this step runs "
                       f"{action_key!r}")
        return None
    return spec.mapping
