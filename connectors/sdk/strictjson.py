"""Decode JSON that comes from outside (webhook deliveries, API bodies, service answers) safely.

Python's ``json.loads`` is too lenient and too fragile for text from strangers:

* it accepts ``NaN``, ``Infinity`` and ``-Infinity`` (and reads ``1e999`` as infinity), which are
  not JSON: PostgreSQL's JSON type refuses them, so an event holding one could never be stored and
  its sender would be told to retry for ever;
* it recurses once per nesting level, so ``"[" * 100000`` raises ``RecursionError`` (not
  ``ValueError``), and a body that just fits can still break whatever walks it later;
* it turns an escape such as ``"\ud800"`` into a lone surrogate, a string no database column or
  UTF-8 encoder accepts.

:func:`parse_json` refuses all of these with a ``ValueError`` that says why, so every caller keeps
the one ``except ValueError`` it already has for malformed JSON.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64  # real payloads (Asaas, ZapSign, recipes) nest under 10 levels


def parse_json(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``data`` decoded as strict JSON; ``ValueError`` (with the reason) when it is not acceptable."""
    try:
        value = json.loads(data, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise ValueError(f"JSON nested more than {max_depth} levels deep") from None
    if _deeper_than(value, max_depth):
        raise ValueError(f"JSON nested more than {max_depth} levels deep")
    if _SURROGATE_ESCAPE.search(data if isinstance(data, str) else data.decode("utf-8", "replace")) \
            and _has_lone_surrogate(value):  # the search keeps the usual body off the slow check
        raise ValueError("JSON text holds a lone surrogate escape (\\ud800-\\udfff), which is not valid Unicode")
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (JSON numbers cannot be NaN or infinite)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large for JSON")
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays/objects nest more than ``limit`` levels (iterative: no recursion to overflow)."""
    if not isinstance(value, dict | list):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
