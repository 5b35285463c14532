"""YAML parsed safely, with the line of every value, so errors read ``recipes/x.yaml:12: message``.

We compose the node tree with ``yaml.SafeLoader`` (no arbitrary tags) and build plain Python values
ourselves, recording ``path → line`` on the way; duplicate keys, which PyYAML silently lets win,
are reported with their line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
MAX_DEPTH = 64


class YamlSyntaxError(ValueError):
    """The text is not YAML; ``line`` is 1-based (None when the parser gave no position)."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


@dataclass
class PositionedDocument:
    """Plain data plus the 1-based line of each JSON path, and problems found while building it."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)

    def line_for(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        parts = tuple(path)
        while True:
            if parts in self.lines:
                return self.lines[parts]
            if not parts:
                return None
            parts = parts[:-1]


def parse(text: str) -> PositionedDocument:
    """Parse one YAML document; raises YamlSyntaxError. An empty file gives ``data=None``."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlSyntaxError(mark.line + 1 if mark else None, f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(None, f"YAML syntax error: {exc}") from None
    finally:
        loader.dispose()
    doc = PositionedDocument(None)
    if node is not None:
        doc.data = _build(node, (), doc, loader, 0)
        doc.lines.setdefault((), node.start_mark.line + 1)
    return doc


def _build(node: yaml.Node, path: Path, doc: PositionedDocument, loader: yaml.SafeLoader, depth: int) -> Any:
    line = node.start_mark.line + 1
    if depth > MAX_DEPTH:
        doc.problems.append((line, f"nested deeper than {MAX_DEPTH} levels"))
        return None
    if isinstance(node, yaml.MappingNode):
        if node.tag != _MAP:
            doc.problems.append((line, f"unsupported YAML tag {node.tag}"))
            return None
        out: dict[Any, Any] = {}
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                doc.problems.append((key_line, "a mapping key must be a plain value"))
                continue
            key = key_node.value  # the text as written: `yes:` stays "yes", `1:` stays "1" (JSON keys)
            if key == "<<":
                doc.problems.append((key_line, "YAML merge keys (<<) are not supported; repeat the fields"))
                continue
            if key in seen:
                doc.problems.append((key_line, f"duplicate key {key!r} (first defined on line {seen[key]})"))
            seen[key] = key_line
            doc.lines[(*path, key)] = key_line
            out[key] = _build(value_node, (*path, key), doc, loader, depth + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ:
            doc.problems.append((line, f"unsupported YAML tag {node.tag}"))
            return None
        items = []
        for i, item in enumerate(node.value):
            doc.lines[(*path, i)] = item.start_mark.line + 1
            items.append(_build(item, (*path, i), doc, loader, depth + 1))
        return items
    if node.tag == "tag:yaml.org,2002:timestamp":
        return node.value  # keep documents JSON: a date stays the text the admin wrote
    try:
        value = loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        doc.problems.append((line, f"unsupported YAML value: {exc.problem}"))
        return None
    if isinstance(value, bytes):
        doc.problems.append((line, "binary values are not supported"))
        return None
    return value
