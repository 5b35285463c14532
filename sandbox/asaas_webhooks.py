"""The Asaas double's webhook configs and their delivery queues, as the Asaas docs describe them.

Facts (docs "create-new-webhook-via-api", "create-new-webhook-via-web-application",
"sobre-os-webhooks", "webhooks-queue-paused", "send-types", "queue-penalty"; the ajuda.asaas.com
page on webhook settings): an account holds up to 10 configs ``{name, url, email, enabled,
interrupted, apiVersion, authToken, sendType, events}``; the ``authToken`` has 32–255 characters, no
whitespace, no numeric sequence such as 12345, no letter repeated 4 times, and is not an API key;
sent without one, Asaas generates it and returns it once, in the creation answer. Each config has
its own queue: only an exact 200 within 10 s is a delivery; after 15 consecutive failures the queue
is ``interrupted``, events keep accumulating and nothing is sent until ``interrupted: false``, when
the kept events go out in the order they happened. ``SEQUENTIALLY`` keeps that order (a failing
event blocks the ones behind it); ``NON_SEQUENTIALLY`` lets the others pass. A disabled config
(``enabled: false``) gets no new events.

Assumed where the docs are silent: ``GET`` answers never carry the ``authToken``; a numeric
sequence is 5 ascending or descending digits (the docs' example) and "repeated" means 4 equal
characters in a row; the penalty waits (0 s, 30 s, 1 min ... 3 h) are one short constant wait here
(``retry_seconds``), so a test sees the pause in about a second.

A simulated outage (``outage``) makes the next deliveries fail as if Ponte could not be reached,
without calling it: that is how the README tour pauses a queue.
"""

from __future__ import annotations

import copy
import re
import secrets
import string
import threading
import time
from collections import deque
from datetime import datetime
from typing import Any

import requests

MAX_CONFIGS = 10
PAUSE_AFTER = 15  # consecutive failures
DELIVERY_TIMEOUT = 10.0  # Asaas gives a webhook endpoint 10 s to answer 200
SEND_TYPES = ("SEQUENTIALLY", "NON_SEQUENTIALLY")
FIELDS = ("name", "url", "email", "enabled", "interrupted", "apiVersion", "authToken", "sendType", "events")
_TOKEN_CHARS = string.ascii_letters + string.digits


def token_problems(token: str, api_key: str) -> list[str]:
    """Why Asaas refuses ``token`` as an ``authToken`` (empty when it is fine)."""
    problems = []
    if not 32 <= len(token) <= 255:
        problems.append("O token deve ter de 32 a 255 caracteres.")
    if any(c.isspace() for c in token):
        problems.append("O token não pode conter espaços.")
    digits = "0123456789"
    if any(run in token for run in (digits[i:i + 5] for i in range(6))) or any(
            run in token for run in (digits[::-1][i:i + 5] for i in range(6))):
        problems.append("O token não pode conter sequências numéricas.")
    if re.search(r"(.)\1{3}", token):
        problems.append("O token não pode repetir um caractere 4 vezes.")
    if token == api_key or token.startswith("$aact_"):
        problems.append("O token não pode ser uma chave de API.")
    return problems


def generate_token() -> str:
    """What Asaas makes when the create has no ``authToken``: one that passes its own rules."""
    while True:
        token = "whsec_" + "".join(secrets.choice(_TOKEN_CHARS) for _ in range(42))
        if not token_problems(token, ""):
            return token


def config_problems(body: dict[str, Any], api_key: str, *, creating: bool) -> list[tuple[str, str]]:
    """(code, description) for every field of a create/update body Asaas would refuse."""
    problems = []
    if (creating or "url" in body) and not re.fullmatch(r"https?://\S+", str(body.get("url") or "")):
        problems.append(("invalid_url", "Informe uma URL válida."))
    if body.get("email") and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", str(body["email"])):
        problems.append(("invalid_email", "O email informado é inválido."))
    if body.get("authToken") is not None:
        problems += [("invalid_authToken", p) for p in token_problems(str(body["authToken"]), api_key)]
    if "sendType" in body and body["sendType"] not in SEND_TYPES:
        problems.append(("invalid_sendType", "sendType deve ser SEQUENTIALLY ou NON_SEQUENTIALLY."))
    if "apiVersion" in body and str(body["apiVersion"]).lower().removeprefix("v") != "3":
        problems.append(("invalid_apiVersion", "A única versão de API disponível é a 3."))
    events = body.get("events")
    if events is not None and (not isinstance(events, list) or not all(isinstance(e, str) for e in events)):
        problems.append(("invalid_events", "events deve ser uma lista de nomes de eventos."))
    for flag in ("enabled", "interrupted"):
        if flag in body and not isinstance(body[flag], bool):
            problems.append((f"invalid_{flag}", f"{flag} deve ser true ou false."))
    return problems


def public(config: dict[str, Any]) -> dict[str, Any]:
    """A config as ``GET /v3/webhooks`` answers it: never the token."""
    return {"object": "webhook", **{k: v for k, v in config.items() if k != "authToken"}}


class WebhookQueues:
    """The configs and one queue each, delivered by one background thread; ``lock`` is the state's."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.changed = threading.Condition(lock)
        self.retry_seconds = 0.05
        self._worker: threading.Thread | None = None
        self._in_flight = 0
        self.clear()

    def clear(self) -> None:
        with self.changed:
            self.changed.wait_for(lambda: self._in_flight == 0, timeout=15)
            self.configs: list[dict[str, Any]] = []
            self.pending: dict[str, deque[dict[str, Any]]] = {}
            self.failures: dict[str, int] = {}
            self._not_before: dict[str, float] = {}
            self.deliveries: list[dict[str, Any]] = []
            self.outage_failures = 0
            self.outage_until = 0.0
            self._generation = getattr(self, "_generation", 0) + 1

    # -- configs -------------------------------------------------------------------------------

    def get(self, config_id: str) -> dict[str, Any] | None:
        with self.lock:
            return next((c for c in self.configs if c["id"] == config_id), None)

    def add(self, body: dict[str, Any], *, generate: bool = True) -> dict[str, Any]:
        """Store a validated create body; the answer carries a generated token (only then)."""
        generated = generate and body.get("authToken") is None
        config = {
            "id": f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-{secrets.token_hex(2)}-sandbox",
            "name": body.get("name") or "Webhook", "url": body["url"], "email": body.get("email"),
            "enabled": body.get("enabled", True), "interrupted": body.get("interrupted", False),
            "apiVersion": 3, "authToken": generate_token() if generated else body.get("authToken"),
            "sendType": body.get("sendType") or "SEQUENTIALLY", "events": list(body.get("events") or []),
        }
        with self.changed:
            self.configs.append(config)
            self.pending[config["id"]] = deque()
            self.failures[config["id"]] = 0
        answer = public(config)
        if generated:
            answer["authToken"] = config["authToken"]
        return answer

    def update(self, config_id: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """Apply an update; ``interrupted: false`` resumes the queue (failures forgotten)."""
        with self.changed:
            config = self.get(config_id)
            if config is None:
                return None
            for field in FIELDS:
                if field in body and field != "apiVersion":
                    config[field] = list(body[field] or []) if field == "events" else body[field]
            if body.get("interrupted") is False or body.get("enabled") is True:
                self.failures[config_id] = 0
                self._not_before.pop(config_id, None)
            self.changed.notify_all()
            return public(config)

    def remove(self, config_id: str) -> bool:
        with self.changed:
            config = self.get(config_id)
            if config is None:
                return False
            self.configs.remove(config)
            self.pending.pop(config_id, None)
            return True

    # -- events in, deliveries out ---------------------------------------------------------------

    def queue_event(self, envelope: dict[str, Any]) -> None:
        """Queue ``envelope`` for every enabled config that takes its event (none listed: all)."""
        with self.changed:
            for config in self.configs:
                if config["enabled"] and (not config["events"] or envelope["event"] in config["events"]):
                    self.pending[config["id"]].append(copy.deepcopy(envelope))
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._deliver_forever, name="asaas-webhooks", daemon=True)
                self._worker.start()
            self.changed.notify_all()

    def set_outage(self, failures: int = 0, seconds: float = 0.0) -> dict[str, Any]:
        """The next ``failures`` deliveries (or those in the next ``seconds``) cannot reach Ponte."""
        with self.changed:
            self.outage_failures = max(int(failures), 0)
            self.outage_until = time.monotonic() + max(float(seconds), 0.0) if seconds else 0.0
            self.changed.notify_all()
            return self.outage()

    def outage(self) -> dict[str, Any]:
        with self.lock:
            return {"failures_left": self.outage_failures,
                    "seconds_left": round(max(self.outage_until - time.monotonic(), 0.0), 3)}

    def _ready(self, now: float) -> tuple[dict[str, Any], dict[str, Any]] | None:
        for config in self.configs:
            queued = self.pending.get(config["id"])
            if (queued and config["enabled"] and not config["interrupted"]
                    and self._not_before.get(config["id"], 0.0) <= now):
                return dict(config), queued[0]
        return None

    def busy(self) -> bool:
        """A delivery is in flight or due (paused and disabled queues are not busy: they wait)."""
        return self._in_flight > 0 or any(
            self.pending.get(c["id"]) and c["enabled"] and not c["interrupted"] for c in self.configs)

    def drain(self, timeout: float = 15.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: not self.busy(), timeout=timeout)

    def _deliver_forever(self) -> None:
        while True:
            with self.changed:
                now = time.monotonic()
                item = self._ready(now)
                if item is None:
                    waits = [t - now for t in self._not_before.values() if t > now]
                    self.changed.wait(timeout=min([*waits, 1.0]))
                    continue
                self._in_flight += 1
                generation = self._generation
                unreachable = self.outage_failures > 0 or self.outage_until > now
                if self.outage_failures > 0:
                    self.outage_failures -= 1
            config, envelope = item
            record: dict[str, Any] | None = None
            try:
                record = self._post(config, envelope, unreachable)
            finally:
                with self.changed:
                    self._in_flight -= 1
                    if record is not None and generation == self._generation:
                        self._settle(config["id"], envelope, record)
                    self.changed.notify_all()

    def _post(self, config: dict[str, Any], envelope: dict[str, Any], unreachable: bool) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "User-Agent": "Asaas-Sandbox-Double/1.0"}
        if config.get("authToken"):
            headers["asaas-access-token"] = config["authToken"]
        record: dict[str, Any] = {"event_id": envelope["id"], "event": envelope["event"], "url": config["url"],
                                  "webhook": config["id"], "at": datetime.now().isoformat(timespec="seconds")}
        if unreachable:
            return {**record, "status_code": None, "ok": False, "error": "ConnectionError (simulated outage)"}
        try:
            response = requests.post(config["url"], json=envelope, headers=headers, timeout=DELIVERY_TIMEOUT)
            # Asaas counts only an exact 200 as delivered (201 and 204 are failures).
            record.update(status_code=response.status_code, ok=response.status_code == 200)
        except requests.RequestException as exc:
            record.update(status_code=None, ok=False, error=exc.__class__.__name__)
        return record

    def _settle(self, config_id: str, envelope: dict[str, Any], record: dict[str, Any]) -> None:
        self.deliveries.append(record)
        config, queued = self.get(config_id), self.pending.get(config_id)
        if config is None or queued is None or not queued or queued[0] is not envelope:
            return
        if record["ok"]:
            queued.popleft()
            self.failures[config_id] = 0
            return
        self.failures[config_id] = self.failures.get(config_id, 0) + 1
        if self.failures[config_id] >= PAUSE_AFTER:
            config["interrupted"] = True  # events keep queuing; nothing is sent until resumed
            return
        self._not_before[config_id] = time.monotonic() + self.retry_seconds
        if config["sendType"] == "NON_SEQUENTIALLY":
            queued.rotate(-1)  # the others pass the failing one

    def snapshot(self) -> list[dict[str, Any]]:
        """The configs as the state dump shows them: token cut, queue length and failure count."""
        with self.lock:
            out = []
            for config in self.configs:
                token = config.get("authToken")
                out.append({**config, "authToken": f"{token[:4]}…" if token else None,
                            "pending": len(self.pending.get(config["id"]) or ()),
                            "consecutive_failures": self.failures.get(config["id"], 0)})
            return out
