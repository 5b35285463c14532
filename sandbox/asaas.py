"""A local double of the Asaas API v3, for end-to-end tests and the demo.

``create_app(api_key=..., webhook_target=..., webhook_token=...)`` returns a Flask app that fakes
the parts Ponte uses, the way the documented API behaves:

* ``/v3/...`` requires the ``access_token`` header (else 401 ``invalid_access_token``); a GET
  carrying a body gets 403 (as CloudFront answers); errors use ``{"errors": [{"code",
  "description"}]}``; lists use ``{"object": "list", "hasMore", "totalCount", "limit", "offset",
  "data"}`` with ``limit`` capped at 100.
* ``POST/GET /v3/customers``, ``GET /v3/customers/<id>`` (duplicates allowed, CPF/CNPJ validated),
  ``POST/GET /v3/payments`` (the documented filters: ``dateCreated[ge]``/``[le]``, ``paymentDate``,
  ``dueDate``, ``estimatedCreditDate`` ranges, status, customer...), ``GET/DELETE /v3/payments/<id>``,
  ``POST /v3/payments/<id>`` (update a PENDING/OVERDUE one: :mod:`sandbox.asaas_payment_update`).
* ``POST/GET /v3/webhooks``, ``GET/PUT/DELETE /v3/webhooks/<id>``: up to 10 configs with the
  documented fields and ``authToken`` rules (:mod:`sandbox.asaas_webhooks`).
* Creating, updating, paying, marking overdue or deleting a payment queues the Asaas webhook envelope
  ``{"id": "evt_<32 hex>&<n>", "event", "dateCreated", "payment"}`` on each enabled config that
  takes the event; each queue POSTs it with the ``asaas-access-token`` header, in order; only an
  exact 200 counts; after 15 consecutive failures the queue is ``interrupted`` and keeps what
  arrives; ``PUT interrupted: false`` re-sends it in order. ``webhook_target`` (+ ``webhook_token``)
  pre-configures one.
* Subscriptions (``/v3/subscriptions``, with their payments and SUBSCRIPTION_* events:
  :mod:`sandbox.asaas_subscriptions`).

Test-control endpoints (no auth):

==========================================  ===================================================
``POST /_sandbox/payments``                 a payment "made in Asaas's UI": ``{customer: {name,
                                            cpfCnpj, email…} | "cus_…", value, billingType,
                                            dueDate, description}`` (all optional); emits
                                            PAYMENT_CREATED; answers the payment
``POST /_sandbox/payments/<id>/pay``        status RECEIVED + paymentDate; emits PAYMENT_RECEIVED
``POST /_sandbox/payments/<id>/overdue``    status OVERDUE; emits PAYMENT_OVERDUE
``POST /_sandbox/events/<evt id>/resend``   deliver the same envelope (same id) again
``POST /_sandbox/outage``                   ``{"failures": N}`` or ``{"seconds": S}``: the next N
                                            deliveries (or those for S seconds) cannot reach their
                                            URL, as when Ponte is down; ``{}`` ends it; ``GET``
                                            shows what is left
``POST /_sandbox/config``                   ``{"retry_seconds"}``: the wait before a queue retries
                                            (Asaas's penalties, scaled down; default 0.05)
``POST /_sandbox/faults``                   ``{"method", "path", "responses": [{"status", "headers",
                                            "json", "delay", "apply"}]}``: the next matching calls
                                            answer these, in order (``path`` may end in ``*``;
                                            ``delay`` sleeps first, to cause client timeouts;
                                            ``apply: true`` performs the call, then answers the
                                            fault: a write that "failed" but happened)
``POST /_sandbox/chaos``                    ``{"rate", "weights", "retry_after", "slow_seconds",
                                            "seed"}``: a share of API calls fails at random
                                            (:mod:`sandbox.chaos`); ``GET`` reports what was injected
``GET /_sandbox/requests``                  API calls received: method, path, query, json,
                                            user_agent (never the key)
``GET /_sandbox/state``                     customers, payments, events, deliveries, webhooks
                                            (with ``pending`` and ``consecutive_failures``)
``POST /_sandbox/drain``                    wait until queued webhook deliveries were attempted
``POST /_sandbox/reset``                    forget everything
==========================================  ===================================================

Run it with ``python -m sandbox.asaas --port 8101``, or in a test with :func:`serve` (not
``sandbox.server.serve_in_thread``: Werkzeug drops headers whose name has an underscore, and the
Asaas key travels in ``access_token``; :class:`KeepUnderscoreHeaders` keeps them).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from flask import Flask, Response, g, jsonify, request

from .asaas_controls import (
    BadRequest,
    errors_response,
    fault_response,
    host,
    json_body,
    next_fault,
    not_found,
    paging,
    register_controls,
)
from .asaas_payment_update import update_payment
from .asaas_state import AsaasState, error, page
from .asaas_subscriptions import register_subscriptions
from .asaas_webhooks import MAX_CONFIGS, config_problems, public
from .chaos import Chaos, drop_connection
from .server import KeepUnderscoreHeaders, RunningServer, serve_in_thread

DEFAULT_API_KEY = "$aact_hmlg_sandbox_demo"


def create_app(
    *, api_key: str = DEFAULT_API_KEY, webhook_target: str | None = None, webhook_token: str | None = None
) -> Flask:
    """A fresh double with empty state; nothing runs until a request (or an event) arrives."""
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    state = AsaasState(webhook_target=webhook_target, webhook_token=webhook_token, api_key=api_key)
    app.extensions["asaas_sandbox"] = state
    chaos = app.extensions["asaas_chaos"] = Chaos()

    @app.errorhandler(BadRequest)
    def bad_request(exc: BadRequest) -> Any:
        return errors_response(400, *exc.errors)

    @app.before_request
    def gatekeeper() -> Any:
        if not request.path.startswith("/v3/"):
            return None
        with state.lock:
            state.requests.append({
                "method": request.method, "path": request.path, "query": request.args.to_dict(),
                "json": request.get_json(silent=True), "user_agent": request.headers.get("User-Agent"),
            })
        fault = next_fault(state) or chaos.pick()
        if fault is not None:
            time.sleep(float(fault.get("delay") or 0))
            if fault.get("apply"):
                g.fault = fault
            elif fault.get("status"):
                return fault_response(fault)
        if request.method == "GET" and request.get_data():
            return errors_response(403, error("forbidden", "Requisições GET não podem ter corpo."))
        if request.headers.get("access_token") != api_key:
            return errors_response(401, error("invalid_access_token",
                                      "A chave de API fornecida é inválida ou não foi informada."))
        return None

    @app.after_request
    def applied_fault(response: Response) -> Response:
        fault = g.pop("fault", None)
        if fault and fault.get("drop"):
            drop_connection(request.environ)
        return fault_response(fault)[0] if fault and fault.get("status") else response

    # -- the API ---------------------------------------------------------------------------------

    @app.post("/v3/customers")
    def create_customer() -> Any:
        customer, errors = state.create_customer(json_body())
        return errors_response(400, *errors) if errors else jsonify(customer)

    @app.get("/v3/customers")
    def list_customers() -> Any:
        offset, limit = paging()
        return jsonify(page(state.list_customers(request.args.to_dict()), offset, limit))

    @app.get("/v3/customers/<customer_id>")
    def get_customer(customer_id: str) -> Any:
        with state.lock:
            customer = state.customers.get(customer_id)
            return jsonify(customer) if customer else not_found("Cliente")

    @app.post("/v3/payments")
    def create_payment() -> Any:
        payment, errors = state.create_payment(json_body(), host())
        return errors_response(400, *errors) if errors else jsonify(payment)

    @app.get("/v3/payments")
    def list_payments() -> Any:
        offset, limit = paging()
        return jsonify(page(state.list_payments(request.args.to_dict()), offset, limit))

    @app.get("/v3/payments/<payment_id>")
    def get_payment(payment_id: str) -> Any:
        with state.lock:
            payment = state.payments.get(payment_id)
            return jsonify(payment) if payment else not_found("Cobrança")

    @app.post("/v3/payments/<payment_id>")
    def update_existing_payment(payment_id: str) -> Any:
        payment, errors = update_payment(state, payment_id, json_body())
        if errors:
            return errors_response(400, *errors)
        return jsonify(payment) if payment else not_found("Cobrança")

    @app.delete("/v3/payments/<payment_id>")
    def delete_payment(payment_id: str) -> Any:
        with state.lock:
            payment = state.payments.get(payment_id)
            if payment is None or payment["deleted"]:
                return not_found("Cobrança")
            if payment["status"] in ("RECEIVED", "CONFIRMED", "RECEIVED_IN_CASH"):
                paid = error("invalid_action", "Cobranças pagas não podem ser removidas.")
                return errors_response(400, paid)
            state.change_payment(payment_id, "PAYMENT_DELETED", deleted=True)
        return jsonify({"deleted": True, "id": payment_id})

    @app.post("/v3/webhooks")
    def create_webhook() -> Any:
        body = json_body()
        problems = [error(c, d) for c, d in config_problems(body, api_key, creating=True)]
        if not problems and len(state.webhooks) >= MAX_CONFIGS:
            problems.append(error("invalid_action", f"É permitido configurar no máximo {MAX_CONFIGS} webhooks."))
        return errors_response(400, *problems) if problems else jsonify(state.hooks.add(body))

    @app.get("/v3/webhooks")
    def list_webhooks() -> Any:
        offset, limit = paging()
        with state.lock:
            hooks = [public(h) for h in state.webhooks]
        return jsonify(page(hooks, offset, limit))

    @app.get("/v3/webhooks/<webhook_id>")
    def get_webhook(webhook_id: str) -> Any:
        hook = state.hooks.get(webhook_id)
        return jsonify(public(hook)) if hook else not_found("Webhook")

    @app.put("/v3/webhooks/<webhook_id>")
    def update_webhook(webhook_id: str) -> Any:
        body = json_body()
        problems = [error(c, d) for c, d in config_problems(body, api_key, creating=False)]
        if problems:
            return errors_response(400, *problems)
        hook = state.hooks.update(webhook_id, body)
        return jsonify(hook) if hook else not_found("Webhook")

    @app.delete("/v3/webhooks/<webhook_id>")
    def delete_webhook(webhook_id: str) -> Any:
        if not state.hooks.remove(webhook_id):
            return not_found("Webhook")
        return jsonify({"deleted": True, "id": webhook_id})

    @app.route("/v3/<path:rest>", methods=["GET", "POST", "PUT", "DELETE"])
    def unknown(rest: str) -> Any:
        return errors_response(404, error("not_found", f"/v3/{rest} não existe nesta simulação do Asaas."))

    # -- what a payer sees -----------------------------------------------------------------------

    @app.get("/i/<suffix>")
    def invoice(suffix: str) -> Any:
        with state.lock:
            payment = state.payments.get(f"pay_{suffix}")
        if payment is None:
            return "Fatura não encontrada", 404
        return (f"<!doctype html><title>Fatura {payment['invoiceNumber']}</title>"
                f"<h1>Fatura (Asaas sandbox)</h1><p>Valor: R$ {payment['value']:.2f} — "
                f"vencimento {payment['dueDate']} — situação {payment['status']}</p>")

    @app.get("/b/pdf/<suffix>")
    def bank_slip(suffix: str) -> Any:
        return Response(f"Boleto (simulação) pay_{suffix}\n", mimetype="text/plain")

    register_controls(app, state)
    register_subscriptions(app, state)
    return app


def serve(app: Flask | None = None, port: int = 0, **options: Any) -> RunningServer:
    """Start a double (``create_app(**options)`` unless ``app`` is given) on 127.0.0.1 in a thread."""
    return serve_in_thread(app or create_app(**options), port)


def main(argv: list[str] | None = None) -> None:
    """``python -m sandbox.asaas --port 8101 [--webhook-target URL --webhook-token T]``."""
    parser = argparse.ArgumentParser(description="Local double of the Asaas API v3")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--webhook-target", default=None)
    parser.add_argument("--webhook-token", default=None)
    args = parser.parse_args(argv)
    app = create_app(api_key=args.api_key, webhook_target=args.webhook_target,
                     webhook_token=args.webhook_token)
    app.run(host=args.host, port=args.port, threaded=True, request_handler=KeepUnderscoreHeaders)


if __name__ == "__main__":
    main()
