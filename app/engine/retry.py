"""When to try a run again: exponential backoff with jitter, honouring what the service asked.

The defaults spread 5 retries over about four hours (1 min, 4 min, 16 min, ~1 h, ~3.5 h with the
cap at 2 h per wait plus jitter), long enough to ride out a service outage, short enough that a
contract or charge is still timely. A recipe may override them under ``retry:``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RetryPolicy:
    """``max_attempts`` counts the first try: 6 means one try and five retries."""

    max_attempts: int = 6
    base_delay_seconds: float = 60.0
    max_delay_seconds: float = 7200.0
    factor: float = 4.0
    scale: float = 1.0  # < 1 shrinks every wait, the service's Retry-After included (demo, tests)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, *, scale: float = 1.0) -> RetryPolicy:
        """Build from a recipe's ``retry:`` block; ``scale`` shrinks delays (tests, the demo)."""
        data = data or {}
        return cls(
            max_attempts=int(data.get("max_attempts", cls.max_attempts)),
            base_delay_seconds=float(data.get("base_delay_seconds", cls.base_delay_seconds)) * scale,
            max_delay_seconds=float(data.get("max_delay_seconds", cls.max_delay_seconds)) * scale,
            scale=scale,
        )

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        Full jitter on the upper half keeps many failed runs from hammering a recovering service
        at the same instant; a service's own ``Retry-After`` is a floor, never ignored.
        """
        ceiling = min(self.max_delay_seconds, self.base_delay_seconds * self.factor ** (attempt - 1))
        wait = ceiling / 2 + random.uniform(0, ceiling / 2)
        if retry_after is not None:
            wait = max(wait, float(retry_after) * self.scale)
        return wait

    def exhausted(self, attempt: int) -> bool:
        return attempt >= self.max_attempts
