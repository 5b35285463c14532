"""The battery's senders: they play Asaas, POSTing envelopes to Ponte and re-sending each until 200.

:class:`Sent` keeps every answer's status (None: no answer at all) and the event ids answered 200,
which the verdict checks against the database (a 200 is a promise that the event is stored).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests


@dataclass
class Sent:
    """What the senders saw: every answer's status (None: no answer) and the event ids that got 200."""

    statuses: Counter = field(default_factory=Counter)
    stored: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int | None, event_id: str | None = None) -> None:
        with self.lock:
            self.statuses[status] += 1
            if status == 200 and event_id:
                self.stored.add(event_id)

    @property
    def errors_500(self) -> int:
        return self.statuses[500]

    @property
    def errors_5xx(self) -> int:
        return sum(n for s, n in self.statuses.items() if s is not None and s >= 500)


def deliver(url: str, uid: str, token: str, envelope: dict[str, Any], sent: Sent,
            session: requests.Session, deadline: float) -> None:
    """POST one delivery until it answers 200, as Asaas re-sends (a refused one is a failure)."""
    while time.monotonic() < deadline:
        try:
            response = session.post(f"{url}/webhooks/{uid}", json=envelope, timeout=15,
                                    headers={"asaas-access-token": token})
        except requests.RequestException:
            sent.record(None)
            time.sleep(0.2)
            continue
        sent.record(response.status_code, envelope["id"])
        if response.status_code < 500 or response.status_code == 500:
            return  # 200: done; a 4xx or a 500 is a finding (counted), which re-sending would hide
        time.sleep(0.2)  # 502/503/504: the server or its database is away for a moment
    raise AssertionError(f"delivery {envelope['id']} never answered 200")


def send_all(url: str, uid: str, token: str, deliveries: list[dict[str, Any]], senders: int,
             sent: Sent | None = None, timeout: float = 600, pace: float = 0.0) -> Sent:
    """Deliver every envelope (duplicates included) from ``senders`` threads, each pausing
    ``pace`` seconds between deliveries (so a load can span a planned crash)."""
    sent = sent or Sent()
    todo = list(deliveries)
    lock = threading.Lock()
    deadline = time.monotonic() + timeout
    failures: list[BaseException] = []

    def sender() -> None:
        with requests.Session() as session:
            while True:
                with lock:
                    if not todo:
                        return
                    envelope = todo.pop()
                try:
                    deliver(url, uid, token, envelope, sent, session, deadline)
                except AssertionError as exc:
                    failures.append(exc)
                time.sleep(pace)

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return sent
