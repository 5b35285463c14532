"""The ZapSign double's memory: templates, documents, webhook configs and deliveries, behind one lock.

Webhooks are delivered the way ZapSign does it: a POST of the whole document plus ``event_type``
(and ``signer_who_signed`` for ``doc_signed``) with the configured custom headers, once per event,
in order, from one background thread started on the first delivery; each delivery's outcome is
recorded and can be replayed (ZapSign's retry).
The ``doc_refused`` body repeats the documented spelling (``recusado``, ``abriu-link``).
"""

from __future__ import annotations

import copy
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests

from .zapsign_data import S3, list_item, new_document, new_signer, now_iso, seed_templates, who_signed

WEBHOOK_TYPES = ("", "doc_signed", "doc_created", "doc_deleted", "doc_refused", "email_bounce")


class ApiError(Exception):
    """An answer the API gives instead of a result: ``status`` and a JSON body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body)
        self.status = status
        self.body = body


NOT_FOUND = {"detail": "Não encontrado."}


@dataclass
class Delivery:
    id: int
    event_type: str
    doc_token: str
    url: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: str = "pending"  # pending | delivered | failed
    status_code: int | None = None
    error: str | None = None

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "event_type": self.event_type, "doc_token": self.doc_token, "url": self.url,
                "status": self.status, "status_code": self.status_code, "error": self.error,
                "body": self.body}


class ZapSignState:
    """Everything the double knows; every public method takes the lock."""

    def __init__(self, webhook_url: str | None = None, webhook_headers: dict[str, str] | None = None) -> None:
        self.lock = threading.RLock()
        self._initial_webhook = (webhook_url, dict(webhook_headers or {}))
        self._outbox: queue.Queue[Delivery] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition(self.lock)
        self._worker: threading.Thread | None = None
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.templates = seed_templates()
            self.docs: dict[str, dict[str, Any]] = {}
            self.webhooks: list[dict[str, Any]] = []
            self._hook_seq = 0
            self.deliveries: list[Delivery] = []
            self.requests: list[dict[str, Any]] = []
            self.faults: dict[tuple[str, str], list[dict[str, Any]]] = {}
            # ZapSign caches GET /docs/ for 60 s: a new document may be missing from the list that
            # long. 0 lists at once; tests set it (scaled like their retry waits) via /_sandbox/config.
            self.list_cache_seconds = 0.0
            self._listed_from: dict[str, float] = {}
            url, headers = self._initial_webhook
            if url:
                self.add_webhook({"url": url, "type": "",
                                  "headers": [{"name": k, "value": v} for k, v in headers.items()]})

    # -- API operations ------------------------------------------------------------------------

    def create_from_template(self, body: dict[str, Any], *, created_through: str = "api") -> dict[str, Any]:
        with self.lock:
            template = self.templates.get(str(body.get("template_id") or ""))
            if template is None:
                raise ApiError(404, NOT_FOUND)
            name = body.get("signer_name")
            if not isinstance(name, str) or not name.strip():
                raise ApiError(400, {"detail": "signer_name é obrigatório."})
            data = body.get("data") or []
            if not isinstance(data, list) or any(not isinstance(d, dict) or "de" not in d for d in data):
                raise ApiError(400, {"detail": "data deve ser uma lista de objetos {de, para}."})
            for field, value in body.items():
                if value is None:
                    raise ApiError(400, {field: ["Este campo não pode ser nulo."]})
            answers = [{"variable": str(d["de"]).strip().strip("{}").strip(), "value": str(d.get("para", ""))}
                       for d in data]
            signers = [new_signer(name.strip(), body.get("signer_email", ""),
                                  body.get("signer_phone_country", ""), body.get("signer_phone_number", ""))]
            if len(template["signers"]) > 1:
                company = template["signers"][1]
                signers.append(new_signer(company["name"], company["email"], qualification="Contratada"))
            doc = new_document(len(self.docs) + 1, template["name"], signers, answers,
                               external_id=body.get("external_id", ""),
                               folder_path=body.get("folder_path", "/"), lang=body.get("lang", "pt-br"),
                               created_through=created_through,
                               template_id=template["token"])
            self.docs[doc["token"]] = doc
            self._listed_from[doc["token"]] = time.monotonic() + self.list_cache_seconds
            self._emit("doc_created", doc)
            return copy.deepcopy(doc)

    def create_document(self, name: str, signers: list[dict[str, str]], answers: list[dict[str, Any]],
                        external_id: str = "") -> dict[str, Any]:
        """A document as the web app creates it (used by ``/_sandbox/docs``)."""
        with self.lock:
            people = [new_signer(s.get("name") or "Signatário", s.get("email", ""),
                                 s.get("phone_country", ""), s.get("phone_number", "")) for s in signers]
            people = people or [new_signer("Signatário")]
            doc = new_document(len(self.docs) + 1, name, people, answers, external_id=external_id,
                               created_through="web")
            self.docs[doc["token"]] = doc
            self._listed_from[doc["token"]] = time.monotonic() + self.list_cache_seconds
            self._emit("doc_created", doc)
            return copy.deepcopy(doc)

    def document(self, token: str) -> dict[str, Any]:
        with self.lock:
            doc = self.docs.get(token)
            if doc is None:
                raise ApiError(404, NOT_FOUND)
            return copy.deepcopy(doc)

    def list_documents(self, query: dict[str, str]) -> list[dict[str, Any]]:
        """Documents matching ``status``, ``created_from``/``created_to`` (dates), ``signer_email``."""
        with self.lock:
            now = time.monotonic()
            docs = [d for d in self.docs.values()
                    if not d["deleted"] and self._listed_from.get(d["token"], 0.0) <= now]
            if query.get("status"):
                docs = [d for d in docs if d["status"] == query["status"]]
            if query.get("created_from"):
                docs = [d for d in docs if d["created_at"][:10] >= query["created_from"][:10]]
            if query.get("created_to"):
                docs = [d for d in docs if d["created_at"][:10] <= query["created_to"][:10]]
            if query.get("signer_email"):
                email = query["signer_email"].lower()
                docs = [d for d in docs if any((s["email"] or "").lower() == email for s in d["signers"])]
            docs.sort(key=lambda d: d["open_id"], reverse=query.get("sort_order") == "desc")
            return [list_item(d) for d in docs]

    def sign(self, token: str, signer_token: str | None = None) -> dict[str, Any]:
        """One signer signs (the given one, else the first who has not): ``doc_signed`` fires."""
        with self.lock:
            doc = self.docs.get(token)
            if doc is None:
                raise ApiError(404, NOT_FOUND)
            if doc["status"] != "pending":
                raise ApiError(400, {"detail": f"O documento não está em curso (status {doc['status']})."})
            waiting = [s for s in doc["signers"] if s["status"] != "signed"]
            signer = next((s for s in waiting if s["token"] == signer_token), None) if signer_token else (
                waiting[0] if waiting else None)
            if signer is None:
                raise ApiError(400, {"detail": "Signatário não encontrado ou já assinou."})
            stamp = now_iso()
            signer.update(status="signed", signed_at=stamp, last_view_at=stamp, geo_latitude="-23.559298",
                          geo_longitude="-46.683343", times_viewed=max(1, signer["times_viewed"]))
            if all(s["status"] == "signed" for s in doc["signers"]):
                doc.update(status="signed", signed_file=f"{S3}/{token}/signed.pdf")
            doc["last_update_at"] = now_iso()
            self._emit("doc_signed", doc, signer_who_signed=who_signed(signer))
            return copy.deepcopy(doc)

    def refuse(self, token: str, reason: str) -> dict[str, Any]:
        with self.lock:
            doc = self.docs.get(token)
            if doc is None:
                raise ApiError(404, NOT_FOUND)
            if doc["status"] != "pending":
                raise ApiError(400, {"detail": f"O documento não está em curso (status {doc['status']})."})
            doc.update(status="refused", last_update_at=now_iso())
            body = copy.deepcopy(doc)
            body["status"] = "recusado"  # as ZapSign's doc_refused example spells it
            for s in body["signers"]:
                s["status"] = {"new": "abriu-link", "link-opened": "abriu-link"}.get(s["status"], s["status"])
            self._emit("doc_refused", body, rejected_reason=reason)
            return copy.deepcopy(doc)

    def add_webhook(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if not isinstance(body.get("url"), str) or not body["url"].startswith("http"):
                raise ApiError(400, {"url": ["Informe uma URL válida."]})
            if body.get("type") not in WEBHOOK_TYPES:
                choices = ", ".join(repr(t) for t in WEBHOOK_TYPES)
                raise ApiError(400, {"type": [f"Escolha um de: {choices}."]})
            headers = body.get("headers") or []
            if not isinstance(headers, list) or not all(isinstance(h, dict) and "name" in h for h in headers):
                raise ApiError(400, {"headers": ["Use uma lista de {name, value}."]})
            self._hook_seq += 1  # ids are never reused, even after a delete
            hook = {"id": self._hook_seq, "url": body["url"], "type": body["type"],
                    "doc_token": body.get("doc_token"), "headers": headers}
            self.webhooks.append(hook)
            return {"id": hook["id"]}

    def add_webhook_headers(self, hook_id: Any, headers: Any) -> dict[str, Any]:
        """The documented ``webhook/header/`` call: more custom headers on an existing webhook."""
        with self.lock:
            hook = next((h for h in self.webhooks if h["id"] == hook_id), None)
            if hook is None:
                raise ApiError(404, NOT_FOUND)
            if not isinstance(headers, list) or not all(isinstance(h, dict) and "name" in h for h in headers):
                raise ApiError(400, {"headers": ["Use uma lista de {name, value}."]})
            hook["headers"] = [*hook["headers"], *headers]
            return {"id": hook["id"], "headers": [h["name"] for h in hook["headers"]]}

    def delete_webhook(self, hook_id: Any) -> None:
        with self.lock:
            before = len(self.webhooks)
            self.webhooks = [h for h in self.webhooks if h["id"] != hook_id]
            if len(self.webhooks) == before:
                raise ApiError(404, NOT_FOUND)

    # -- webhooks out --------------------------------------------------------------------------

    def _emit(self, event_type: str, doc: dict[str, Any], **extra: Any) -> None:
        """Queue one delivery per matching webhook; "" (all) covers every event but email_bounce."""
        for hook in self.webhooks:
            if hook["type"] not in ("", event_type) or (hook["type"] == "" and event_type == "email_bounce"):
                continue
            if hook.get("doc_token") and hook["doc_token"] != doc["token"]:
                continue
            body = {"event_type": event_type, **copy.deepcopy(doc), **extra}
            headers = {h["name"]: str(h.get("value", "")) for h in hook["headers"]}
            number = len(self.deliveries) + 1
            self._send(Delivery(number, event_type, doc["token"], hook["url"], headers, body))

    def _send(self, delivery: Delivery) -> None:
        """Queue a delivery (caller holds the lock); the worker thread starts with the first one."""
        self.deliveries.append(delivery)
        self._pending += 1
        self._outbox.put(delivery)
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="zapsign-webhooks", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        while True:
            delivery = self._outbox.get()
            try:
                self._deliver(delivery)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver(self, delivery: Delivery) -> None:
        try:
            response = requests.post(delivery.url, json=delivery.body, headers=delivery.headers, timeout=10)
        except requests.RequestException as exc:
            with self.lock:
                delivery.status, delivery.error = "failed", exc.__class__.__name__
            return
        with self.lock:
            delivery.status_code = response.status_code
            delivery.status = "delivered" if response.status_code == 200 else "failed"

    def redeliver(self, delivery_id: int) -> dict[str, Any]:
        """Send an earlier delivery's exact body again, as ZapSign does after a non-200."""
        with self.lock:
            old = next((d for d in self.deliveries if d.id == delivery_id), None)
            if old is None:
                raise ApiError(404, NOT_FOUND)
            again = Delivery(len(self.deliveries) + 1, old.event_type, old.doc_token, old.url,
                             dict(old.headers), copy.deepcopy(old.body))
            self._send(again)
            return again.public()

    def wait_for_deliveries(self, timeout: float) -> None:
        """Block until every queued delivery has finished (or ``timeout`` seconds have passed)."""
        with self._idle:
            self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "templates": len(self.templates),
                "documents": copy.deepcopy(list(self.docs.values())),
                "webhooks": copy.deepcopy(self.webhooks),
                "deliveries": [d.public() for d in self.deliveries],
                "faults": {f"{m} {p}": list(r) for (m, p), r in self.faults.items()},
            }
