"""What a loaded recipe is: plain frozen dataclasses holding compiled filters and mappings.

A ``RecipeSpec`` exists only for a recipe that passed every check (never half-loaded); ``document``
keeps the validated plain dict so the same definition can be stored in the database and reloaded
with ``loader.load_recipe_document``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.engine.filters import CompiledFilters
from app.engine.mapping import CompiledMapping

RETRY_DEFAULTS: dict[str, Any] = {"max_attempts": 6, "base_delay_seconds": 60, "max_delay_seconds": 7200}


@dataclass(frozen=True)
class TriggerSpec:
    """The connection (by name) that receives the event and the ``<connector>.<trigger>`` key.

    ``connection`` is None for a connector that needs none (the built-in schedule).
    """

    connection: str | None
    event: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepSpec:
    """One action: ``mapping`` is compiled from ``mappings/<mapping_key>.yaml`` or inline ``input``."""

    key: str
    action: str
    connection: str
    mapping: CompiledMapping
    mapping_key: str | None = None


@dataclass(frozen=True)
class MappingSpec:
    """A mapping file: the action it feeds and its compiled fields."""

    key: str
    action: str
    mapping: CompiledMapping
    source: str
    document: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecipeSpec:
    """A validated recipe. ``retry`` is the ``retry:`` block with defaults filled in (a plain dict)."""

    key: str
    name: str
    description: str
    enabled: bool
    trigger: TriggerSpec
    filters: CompiledFilters
    steps: tuple[StepSpec, ...]
    retry: dict[str, Any]
    source: str
    document: dict[str, Any] = field(default_factory=dict)
