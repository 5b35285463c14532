"""An in-memory double of the ZapSign API v1, for the parts Ponte uses, plus test controls.

API (under ``/api/v1``, ``Authorization: Bearer <api_token>``, 401 ``{"detail": "Invalid API token."}``):

- ``GET  /templates/?page=N``            DRF page of 20: ``{count, next, previous, results}``
- ``GET  /templates/<token>/``           detail with ``inputs[]``
- ``POST /models/create-doc/``           create a document from a template (``data: [{de, para}]``)
- ``GET  /docs/?page=N``                 filters ``status``, ``created_from``, ``created_to``,
                                         ``signer_email``, ``sort_order`` (asc|desc); items carry external_id
- ``GET  /docs/<token>/``                document detail
- ``POST /user/company/webhook/``        ``{url, type, doc_token?, headers: [{name, value}]}`` -> ``{id}``
- ``POST /user/company/webhook/header/`` ``{id, headers: [{name, value}]}`` adds headers to a webhook
- ``DELETE /user/company/webhook/delete/`` ``{id}``

Test controls (no auth; loopback only):

- ``POST /_sandbox/docs/<token>/sign``   ``{signer_token?}``: one signer signs -> ``doc_signed``
                                         (status stays ``pending`` until every signer has signed)
- ``POST /_sandbox/docs/<token>/refuse`` ``{reason?}`` -> ``doc_refused``
- ``POST /_sandbox/docs``                ``{template_id?, name?, signers?: [{name, email}], answers?:
                                         {VAR: value}, external_id?, sign?: bool}``: a document as if
                                         made in the web app; ``sign: true`` signs it for everyone
- ``POST /_sandbox/faults``              ``{method, path, responses: [{status?, headers?, json?, delay?,
                                         apply?}]}``: the next matching calls get these answers in order;
                                         ``delay`` sleeps first, ``apply: true`` performs the call anyway
                                         (a write that happened behind a 5xx or a timeout)
- ``POST /_sandbox/chaos``               ``{rate, weights?, retry_after?, slow_seconds?, seed?}``: a share of
                                         API calls fails at random (:mod:`sandbox.chaos`); ``GET`` reports
- ``GET  /_sandbox/requests``            API calls seen: method, path, query, json (never headers/token)
- ``GET  /_sandbox/deliveries?wait=S``   webhook deliveries, after waiting up to S s for in-flight ones
- ``POST /_sandbox/deliveries/<id>/redeliver``  resend a delivery's exact body (ZapSign's retry)
- ``POST /_sandbox/config``             ``{list_cache_seconds}``: how long a new document stays out of
                                         ``GET /docs/`` (ZapSign caches the list for 60 s; default 0)
- ``GET  /_sandbox/state``, ``POST /_sandbox/reset``

Run it with ``python -m sandbox.zapsign --port 8102``.
"""

from __future__ import annotations

import argparse
import hmac
import time
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, g, jsonify, request

from .chaos import Chaos, drop_connection
from .zapsign_files import fresh_links, register_files
from .zapsign_state import NOT_FOUND, ApiError, ZapSignState

API = "/api/v1"
PAGE_SIZE = 20


def _page(items: list[dict[str, Any]]) -> dict[str, Any]:
    """A DRF page of ``items`` for the current request's ``page``; absolute ``next``/``previous``."""
    raw = request.args.get("page", "1")
    page = int(raw) if raw.isdigit() and int(raw) > 0 else 0
    last = max(1, -(-len(items) // PAGE_SIZE))
    if page < 1 or page > last:
        raise ApiError(404, {"detail": "Página inválida."})

    def link(number: int) -> str | None:
        if number < 1 or number > last:
            return None
        query = {**request.args.to_dict(), "page": str(number)}
        return f"{request.base_url}?{urlencode(query)}"

    chunk = items[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    return {"count": len(items), "next": link(page + 1), "previous": link(page - 1), "results": chunk}


def _fault_response(fault: dict[str, Any]) -> Response:
    status = int(fault["status"])
    response = jsonify(fault.get("json", {"detail": f"Simulated fault (HTTP {status})."}))
    response.status_code = status
    for name, value in (fault.get("headers") or {}).items():
        response.headers[name] = str(value)
    return response


SANDBOX_TOKEN = "zapsign-sandbox-token"  # noqa: S105 - the double's well-known test token


def create_app(*, api_token: str = SANDBOX_TOKEN, webhook_url: str | None = None,
               webhook_headers: dict[str, str] | None = None) -> Flask:
    """The double as a Flask app; ``webhook_url`` preconfigures an "all events" webhook."""
    app = Flask("sandbox.zapsign")
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    state = ZapSignState(webhook_url, webhook_headers)
    app.extensions["zapsign_state"] = state
    chaos = app.extensions["zapsign_chaos"] = Chaos()
    files = register_files(app, state)

    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> tuple[Response, int]:
        return jsonify(error.body), error.status

    @app.before_request
    def gate() -> Response | tuple[Response, int] | None:
        if not request.path.startswith(API + "/"):
            return None
        body = request.get_json(silent=True)
        with state.lock:
            state.requests.append({"method": request.method, "path": request.path,
                                   "query": request.args.to_dict(), "json": body})
            queue = state.faults.get((request.method, request.path))
            g.fault = queue.pop(0) if queue else None
        if g.fault is None:
            g.fault = chaos.pick()
        fault = g.fault
        if fault and fault.get("delay"):
            time.sleep(float(fault["delay"]))
        if fault and fault.get("status") and not fault.get("apply"):
            return _fault_response(fault)
        header = request.headers.get("Authorization", "")
        given = header[7:].strip() if header[:7].lower() == "bearer " else ""
        if not given or not hmac.compare_digest(given.encode(), api_token.encode()):
            return jsonify({"detail": "Invalid API token."}), 401
        return None

    @app.after_request
    def applied_fault(response: Response) -> Response:
        fault = g.get("fault")
        if fault and fault.get("status") and fault.get("apply"):
            if fault.get("drop"):
                drop_connection(request.environ)
            return _fault_response(fault)
        return response

    @app.get(f"{API}/templates/")
    def list_templates() -> Any:
        with state.lock:
            items = [{k: v for k, v in t.items() if k not in ("signers", "inputs")}
                     for t in state.templates.values()]
        return _page(items)

    @app.get(f"{API}/templates/<token>/")
    def template_detail(token: str) -> Any:
        with state.lock:
            template = state.templates.get(token)
        if template is None:
            raise ApiError(404, NOT_FOUND)
        return template

    @app.post(f"{API}/models/create-doc/")
    def create_doc() -> Any:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ApiError(400, {"detail": "JSON inválido."})
        return state.create_from_template(body)

    @app.get(f"{API}/docs/")
    def list_docs() -> Any:
        return _page(state.list_documents(request.args.to_dict()))

    @app.get(f"{API}/docs/<token>/")
    def doc_detail(token: str) -> Any:
        host = request.host_url.rstrip("/")  # fresh, expiring file links: sandbox/zapsign_files.py
        return fresh_links(state.document(token), host, files["lifetime"])

    @app.post(f"{API}/user/company/webhook/")
    def create_webhook() -> Any:
        return state.add_webhook(request.get_json(silent=True) or {})

    @app.post(f"{API}/user/company/webhook/header/")
    def add_webhook_headers() -> Any:
        body = request.get_json(silent=True) or {}
        return state.add_webhook_headers(body.get("id"), body.get("headers"))

    @app.delete(f"{API}/user/company/webhook/delete/")
    def delete_webhook() -> Any:
        state.delete_webhook((request.get_json(silent=True) or {}).get("id"))
        return {"detail": "Webhook removido."}

    _register_controls(app, state, chaos)
    return app


def _register_controls(app: Flask, state: ZapSignState, chaos: Chaos) -> None:
    """The ``/_sandbox/`` endpoints tests and the demo use to act as ZapSign's users."""

    @app.post("/_sandbox/docs/<token>/sign")
    def sign(token: str) -> Any:
        return state.sign(token, (request.get_json(silent=True) or {}).get("signer_token"))

    @app.post("/_sandbox/docs/<token>/refuse")
    def refuse(token: str) -> Any:
        reason = (request.get_json(silent=True) or {}).get("reason") or "Recusado no sandbox."
        return state.refuse(token, reason)

    @app.post("/_sandbox/docs")
    def create_web_doc() -> Any:
        body = request.get_json(silent=True) or {}
        answers = body.get("answers") or {}
        if isinstance(answers, dict):
            answers = [{"variable": k.strip("{} "), "value": str(v)} for k, v in answers.items()]
        signers = body.get("signers") or [{"name": "Maria Souza", "email": "maria.souza@example.com"}]
        if body.get("template_id"):
            first = signers[0]
            doc = state.create_from_template({
                "template_id": body["template_id"], "signer_name": first.get("name") or "Signatário",
                "signer_email": first.get("email", ""), "external_id": body.get("external_id", ""),
                "data": [{"de": "{{" + a["variable"] + "}}", "para": a["value"]} for a in answers],
            }, created_through="web")
        else:
            doc = state.create_document(body.get("name") or "Documento de teste", signers, answers,
                                        body.get("external_id", ""))
        if body.get("sign"):
            for _ in doc["signers"]:
                doc = state.sign(doc["token"])
        return doc, 201

    @app.post("/_sandbox/faults")
    def add_fault() -> Any:
        body = request.get_json(silent=True) or {}
        if not body.get("method") or not body.get("path") or not isinstance(body.get("responses"), list):
            raise ApiError(400, {"detail": "send {method, path, responses: [...]}"})
        with state.lock:
            state.faults.setdefault((body["method"].upper(), body["path"]), []).extend(body["responses"])
        return {"queued": len(body["responses"])}, 201

    @app.post("/_sandbox/chaos")
    def set_chaos() -> Any:
        try:
            return chaos.configure(request.get_json(silent=True) or {})
        except (TypeError, ValueError) as exc:
            raise ApiError(400, {"detail": str(exc)}) from None

    @app.get("/_sandbox/chaos")
    def chaos_report() -> Any:
        return chaos.report()

    @app.get("/_sandbox/requests")
    def requests_seen() -> Any:
        with state.lock:
            return jsonify(list(state.requests))

    @app.get("/_sandbox/deliveries")
    def deliveries() -> Any:
        state.wait_for_deliveries(float(request.args.get("wait", "0") or 0))
        return jsonify(state.snapshot()["deliveries"])

    @app.post("/_sandbox/deliveries/<int:delivery_id>/redeliver")
    def redeliver(delivery_id: int) -> Any:
        return state.redeliver(delivery_id), 201

    @app.get("/_sandbox/state")
    def snapshot() -> Any:
        return state.snapshot()

    @app.post("/_sandbox/config")
    def configure() -> Any:
        body = request.get_json(silent=True) or {}
        with state.lock:
            state.list_cache_seconds = float(body.get("list_cache_seconds", state.list_cache_seconds))
            return {"list_cache_seconds": state.list_cache_seconds}

    @app.post("/_sandbox/reset")
    def reset() -> Any:
        state.reset()
        chaos.configure({})
        return {"reset": True}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the ZapSign double.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8102)
    parser.add_argument("--api-token", default=SANDBOX_TOKEN)
    parser.add_argument("--webhook-url", default=None, help="preconfigure an 'all events' webhook")
    parser.add_argument("--webhook-header", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    headers = dict(h.split("=", 1) for h in args.webhook_header)
    app = create_app(api_token=args.api_token, webhook_url=args.webhook_url, webhook_headers=headers)
    app.run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
