"""User regular expressions on RE2: matching time is linear in the input, whatever the pattern.

Python's ``re`` backtracks, so ``(a+)+$`` against forty ``a`` and a ``b`` runs for minutes and a
length cap on the pattern does not help. RE2 (google-re2) has no backtracking: every pattern it
compiles matches in time linear in the text. The price is a smaller syntax: no backreferences
(``\\1``), no look-around (``(?=…)``, ``(?<!…)``), ``\\Z`` is spelt ``\\z``, and ``\\d``/``\\w`` are ASCII.
Such a pattern, or one whose compiled program would exceed ``MAX_MEMORY`` (``(x{999}){999}``), is
refused when the recipe loads, so ``recipes validate`` names it as file:line.
"""

from __future__ import annotations

from typing import Protocol

import re2

MAX_MEMORY = 4 << 20  # bytes per compiled pattern: bounds the program and the DFA cache


HINT = "patterns run on RE2, in linear time: no backreferences, no look-around, \\z for the end"


class Pattern(Protocol):
    """The part of a compiled pattern the filters use."""

    def search(self, text: str) -> object | None: ...


def compile_pattern(pattern: str, *, case_sensitive: bool) -> Pattern:
    """Compile ``pattern`` with RE2; raises ValueError naming what RE2 cannot do."""
    options = re2.Options()
    options.case_sensitive = case_sensitive
    options.max_mem = MAX_MEMORY
    options.log_errors = False  # the reason goes into the ValueError, not to stderr
    try:
        compiled: Pattern = re2.compile(pattern, options)
        return compiled
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "not supported"
        reason = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        reason = reason.removesuffix(": " + pattern)  # RE2 repeats the pattern after its reason
        raise ValueError(f"bad regular expression {pattern!r}: {reason} ({HINT})") from None
