"""Random faults for the doubles: a share of API calls fails the ways real services fail.

``POST /_sandbox/chaos`` on either double turns it on (``{"rate": 0.3}``; ``rate: 0`` turns it off,
``GET`` shows what was injected). Each API call, with probability ``rate``, gets one of the modes,
chosen by ``weights``:

- ``unavailable``: 503, nothing done;
- ``rate_limited``: 429 with ``Retry-After: <retry_after>``, nothing done;
- ``lost_5xx``: the call is performed, then answered 502 (the effect exists, the client cannot know);
- ``lost_drop``: the call is performed, then the connection is dropped without an answer;
- ``slow``: the answer waits ``slow_seconds`` (past the client's timeout), then the call is performed.

A fault is the same dict the scripted ``/_sandbox/faults`` use (``status``, ``headers``, ``delay``,
``apply``) plus ``drop``, so each double applies it with the code it already has.
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

MODES = ("unavailable", "rate_limited", "lost_5xx", "lost_drop", "slow")


@dataclass
class Chaos:
    rate: float = 0.0
    weights: dict[str, float] = field(default_factory=lambda: dict.fromkeys(MODES, 1.0))
    retry_after: float = 1.0
    slow_seconds: float = 21.0
    calls: int = 0
    injected: dict[str, int] = field(default_factory=dict)
    _random: random.Random = field(default_factory=random.Random)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def configure(self, body: dict[str, Any]) -> dict[str, Any]:
        """Apply a ``/_sandbox/chaos`` body; ValueError with the reason when it is not usable."""
        rate = float(body.get("rate", 0))
        weights = body.get("weights") or dict.fromkeys(MODES, 1.0)
        if not 0 <= rate <= 1 or not isinstance(weights, dict) or set(weights) - set(MODES):
            raise ValueError(f"rate is 0..1 and weights name modes among {', '.join(MODES)}")
        with self._lock:
            self.rate = rate
            self.weights = {k: float(v) for k, v in weights.items() if float(v) > 0}
            self.retry_after = float(body.get("retry_after", 1))
            self.slow_seconds = float(body.get("slow_seconds", 21))
            self.calls, self.injected = 0, {}
            self._random.seed(body.get("seed"))
        return self.report()

    def report(self) -> dict[str, Any]:
        with self._lock:
            return {"rate": self.rate, "weights": dict(self.weights), "retry_after": self.retry_after,
                    "slow_seconds": self.slow_seconds, "calls": self.calls, "injected": dict(self.injected)}

    def pick(self) -> dict[str, Any] | None:
        """The fault for this call, or None (most calls)."""
        with self._lock:
            self.calls += 1
            if not self.rate or not self.weights or self._random.random() >= self.rate:
                return None
            modes = list(self.weights)
            mode = self._random.choices(modes, weights=[self.weights[m] for m in modes])[0]
            self.injected[mode] = self.injected.get(mode, 0) + 1
        return {
            "unavailable": {"status": 503},
            "rate_limited": {"status": 429, "headers": {"Retry-After": f"{self.retry_after:g}"}},
            "lost_5xx": {"status": 502, "apply": True},
            "lost_drop": {"status": 502, "apply": True, "drop": True},
            "slow": {"delay": self.slow_seconds},
        }[mode]


def drop_connection(environ: dict[str, Any]) -> None:
    """Cut the client's connection (werkzeug's server exposes the socket) so no answer arrives."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
