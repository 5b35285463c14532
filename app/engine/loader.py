"""Load ``recipes/*.yaml`` and ``mappings/*.yaml`` into validated specs, or say exactly what is wrong.

Every problem in every file is reported at once as ``recipes/x.yaml:12: message`` (principle 8:
fail at load time, not at 3 a.m.). A recipe with any problem is left out of ``recipes``: it is never
half-loaded. ``load_recipe_document`` applies the same checks to a recipe stored in the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.engine.checks import Env, Registry, Report, check_mapping, check_recipe
from app.engine.spec import MappingSpec, RecipeSpec
from app.engine.yamlpos import PositionedDocument, YamlSyntaxError, parse

DEFAULT_MAPPINGS_DIR = Path("mappings")


@dataclass(frozen=True)
class LoadError:
    """One problem: ``str()`` is ``recipes/x.yaml:12: message`` (no line for database recipes)."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


@dataclass(frozen=True)
class WaitingRecipe:
    """A recipe file whose only problem is connections that do not exist yet: it waits for them."""

    key: str
    file: str
    connections: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "file": self.file, "connections": list(self.connections)}


@dataclass
class LoadResult:
    """Valid recipes and mappings by key, every problem found, the recipes waiting for a connection,
    and each file's parsed document (its lines, for checks made after loading: ``online.py``)."""

    recipes: dict[str, RecipeSpec] = field(default_factory=dict)
    mappings: dict[str, MappingSpec] = field(default_factory=dict)
    errors: list[LoadError] = field(default_factory=list)
    waiting: list[WaitingRecipe] = field(default_factory=list)
    documents: dict[str, PositionedDocument] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _default_registry() -> Registry:
    from connectors import registry  # lazily: the engine loads without the connectors in tests

    return registry


def _display(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _read(path: Path) -> tuple[PositionedDocument | None, list[LoadError]]:
    name = _display(path)
    try:
        parsed = parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return None, [LoadError(name, None, f"cannot read: {exc}")]
    except YamlSyntaxError as exc:
        return None, [LoadError(name, exc.line, exc.message)]
    errors = [LoadError(name, line, message) for line, message in parsed.problems]
    if parsed.data is None:
        errors.append(LoadError(name, 1, "the file is empty"))
        return None, errors
    return parsed, errors


def _errors(report: Report, name: str, parsed: PositionedDocument | None) -> list[LoadError]:
    found = [LoadError(name, parsed.line_for(path) if parsed else None, message)
             for path, message in report.problems]
    return sorted(found, key=lambda e: e.line or 0)


def _files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.yaml")) if directory.is_dir() else []


def load_mappings(mappings_dir: str | Path, *, registry: Registry | None = None,
                  documents: dict[str, PositionedDocument] | None = None,
                  ) -> tuple[dict[str, MappingSpec], dict[str, str], list[LoadError]]:
    """Every mapping file: ``(valid mappings by key, broken mapping key → file, errors)``.

    ``documents``, when given, receives each parsed file by its display name."""
    env = Env(registry or _default_registry())
    valid: dict[str, MappingSpec] = {}
    broken: dict[str, str] = {}
    errors: list[LoadError] = []
    for path in _files(Path(mappings_dir)):
        name = _display(path)
        parsed, problems = _read(path)
        spec = None
        if parsed is not None:
            if documents is not None:
                documents[name] = parsed
            report = Report()
            spec = check_mapping(parsed.data, report, env, source=name, stem=path.stem)
            problems += _errors(report, name, parsed)
        if spec is not None and not problems:
            valid[spec.key] = spec
        else:
            broken[path.stem] = name
        errors += problems
    return valid, broken, errors


def load_recipes(recipes_dir: str | Path, mappings_dir: str | Path, *, registry: Registry | None = None,
                 connections: set[str] | None = None) -> LoadResult:
    """Load and check every mapping and recipe file, collecting every problem across all files.

    ``connections`` (names in the database) turns on the unknown-connection check; ``registry``
    defaults to ``connectors.registry``.
    """
    env = Env(registry or _default_registry(), connections=connections)
    documents: dict[str, PositionedDocument] = {}
    mappings, broken, errors = load_mappings(mappings_dir, registry=env.registry, documents=documents)
    env.mappings, env.broken_mappings = mappings, broken
    result = LoadResult(mappings=mappings, errors=errors, documents=documents)
    owners: dict[str, str] = {}
    for path in _files(Path(recipes_dir)):
        name = _display(path)
        parsed, problems = _read(path)
        spec = None
        missing: list[str] = []
        if parsed is not None:
            documents[name] = parsed
            report = Report()
            spec = check_recipe(parsed.data, report, env, source=name, stem=path.stem)
            problems += _errors(report, name, parsed)
            missing = report.missing_connections
        key = parsed.data.get("key") if parsed is not None and isinstance(parsed.data, dict) else None
        if isinstance(key, str) and key in owners:
            problems.append(LoadError(name, parsed.line_for(("key",)) if parsed else None,
                                      f"recipe key {key!r} is also used by {owners[key]}"))
        elif isinstance(key, str):
            owners[key] = name
        if spec is not None and not problems:
            result.recipes[spec.key] = spec
        elif missing and len(missing) == len(problems) and isinstance(key, str):
            result.waiting.append(WaitingRecipe(key, name, tuple(dict.fromkeys(missing))))
        result.errors += problems
    return result


def load_recipe_document(doc: Mapping[str, Any], *, source: str = "<wizard>",
                         mappings: Mapping[str, MappingSpec] | None = None,
                         registry: Registry | None = None, connections: set[str] | None = None,
                         ) -> tuple[RecipeSpec | None, list[LoadError]]:
    """Check a recipe held as a dict (database, wizard, API): ``(spec or None, errors)``.

    Errors have no line. Referenced mappings come from ``mappings``, else from ``mappings/``.
    """
    env = Env(registry or _default_registry(), connections=connections)
    errors: list[LoadError] = []
    if mappings is None and not _mapping_keys(doc):
        mappings = {}
    if mappings is None:
        mappings, broken, mapping_errors = load_mappings(DEFAULT_MAPPINGS_DIR, registry=env.registry)
        env.broken_mappings = broken
        errors += [e for e in mapping_errors if Path(e.file).stem in _mapping_keys(doc)]
    env.mappings = mappings
    report = Report()
    spec = check_recipe(dict(doc), report, env, source=source, stem=None)
    errors += _errors(report, source, None)
    return (spec if not errors else None), errors


def _mapping_keys(doc: Mapping[str, Any]) -> set[str]:
    steps = doc.get("steps")
    return {s["mapping"] for s in steps if isinstance(s, dict) and isinstance(s.get("mapping"), str)} \
        if isinstance(steps, list) else set()
