"""HTTP helpers and the ``/_sandbox/`` test-control endpoints of the Asaas double.

The endpoints are documented in :mod:`sandbox.asaas`.
"""

from __future__ import annotations

import fnmatch
from datetime import timedelta
from typing import Any

from flask import Flask, Response, jsonify, request
from validate_docbr import CPF

from .asaas_state import AsaasState, error, today


def errors_response(status: int, *errors: dict[str, str]) -> tuple[Response, int]:
    return jsonify({"errors": list(errors)}), status


def not_found(what: str) -> tuple[Response, int]:
    return errors_response(404, error("not_found", f"{what} não encontrado."))


def host() -> str:
    return request.host_url.rstrip("/")


def paging() -> tuple[int, int]:
    try:
        offset = max(int(request.args.get("offset", 0)), 0)
        limit = min(max(int(request.args.get("limit", 10)), 1), 100)
    except ValueError:
        raise BadRequest(error("invalid_parameter", "offset e limit devem ser números inteiros.")) from None
    return offset, limit


class BadRequest(Exception):
    def __init__(self, *errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest(error("invalid_body", "O corpo da requisição deve ser um objeto JSON."))
    return body


def register_controls(app: Flask, state: AsaasState) -> None:
    """The ``/_sandbox/`` endpoints that play the part of a person using Asaas's web UI."""

    @app.post("/_sandbox/payments")
    def simulate_payment() -> Any:
        body = request.get_json(silent=True) or {}
        customer_id = body.get("customer")
        if not isinstance(customer_id, str):
            given = customer_id if isinstance(customer_id, dict) else {}
            # No customer given at all: one with an e-mail, as the shipped contract template needs (the
            # README tour's first charge, `-d '{}'`, makes a contract, not a failed run). A customer
            # given without one stays without one.
            email = {} if given else {"email": "cliente.sandbox@example.com"}
            customer, errors = state.create_customer({
                "name": "Cliente Sandbox", "cpfCnpj": CPF().generate(), "notificationDisabled": True, **email, **given,
            })
            if errors:
                return errors_response(400, *errors)
            customer_id = customer["id"]
        payment, errors = state.create_payment({
            "billingType": "BOLETO", "value": 450.0,
            "dueDate": (today() + timedelta(days=10)).isoformat(),
            "description": "Cobrança criada no painel do Asaas (sandbox)",
            **{k: v for k, v in body.items() if k != "customer"}, "customer": customer_id,
        }, host())
        return errors_response(400, *errors) if errors else jsonify(payment)

    @app.post("/_sandbox/payments/<payment_id>/pay")
    def simulate_pay(payment_id: str) -> Any:
        payment = state.pay(payment_id)
        return jsonify(payment) if payment else not_found("Cobrança")

    @app.post("/_sandbox/payments/<payment_id>/overdue")
    def simulate_overdue(payment_id: str) -> Any:
        payment = state.change_payment(payment_id, "PAYMENT_OVERDUE", status="OVERDUE")
        return jsonify(payment) if payment else not_found("Cobrança")

    @app.post("/_sandbox/events/<path:event_id>/resend")
    def resend(event_id: str) -> Any:
        envelope = state.resend(event_id)
        return jsonify(envelope) if envelope else not_found("Evento")

    @app.post("/_sandbox/faults")
    def add_fault() -> Any:
        body = json_body()
        responses = body.get("responses")
        if not body.get("path") or not isinstance(responses, list) or not responses:
            problem = error("invalid_fault", "Informe path e uma lista responses não vazia.")
            return errors_response(400, problem)
        fault = {"method": str(body.get("method") or "*").upper(), "path": body["path"],
                 "responses": list(responses)}
        with state.lock:
            state.faults.append(fault)
        return jsonify(fault)

    @app.post("/_sandbox/chaos")
    def set_chaos() -> Any:
        try:
            return jsonify(app.extensions["asaas_chaos"].configure(request.get_json(silent=True) or {}))
        except (TypeError, ValueError) as exc:
            return errors_response(400, error("invalid_chaos", str(exc)))

    @app.get("/_sandbox/chaos")
    def chaos_report() -> Any:
        return jsonify(app.extensions["asaas_chaos"].report())

    @app.get("/_sandbox/requests")
    def logged_requests() -> Any:
        with state.lock:
            return jsonify(list(state.requests))

    @app.get("/_sandbox/state")
    def dump_state() -> Any:
        with state.lock:
            return jsonify({
                "customers": list(state.customers.values()), "payments": list(state.payments.values()),
                "events": list(state.events.values()), "deliveries": list(state.deliveries),
                "webhooks": state.hooks.snapshot(), "faults": list(state.faults),
            })

    @app.post("/_sandbox/outage")
    def outage() -> Any:
        body = request.get_json(silent=True) or {}
        try:
            return jsonify(state.hooks.set_outage(int(body.get("failures") or 0), float(body.get("seconds") or 0)))
        except (TypeError, ValueError):
            return errors_response(400, error("invalid_outage", "Informe failures (inteiro) ou seconds (número)."))

    @app.get("/_sandbox/outage")
    def outage_left() -> Any:
        return jsonify(state.hooks.outage())

    @app.post("/_sandbox/config")
    def configure() -> Any:
        body = request.get_json(silent=True) or {}
        try:
            state.hooks.retry_seconds = max(float(body.get("retry_seconds", state.hooks.retry_seconds)), 0.0)
        except (TypeError, ValueError):
            return errors_response(400, error("invalid_config", "retry_seconds deve ser um número."))
        return jsonify({"retry_seconds": state.hooks.retry_seconds})

    @app.post("/_sandbox/drain")
    def drain() -> Any:
        return jsonify({"drained": state.drain()})

    @app.post("/_sandbox/reset")
    def reset() -> Any:
        state.reset()
        app.extensions["asaas_chaos"].configure({})
        return jsonify({"reset": True})


def next_fault(state: AsaasState) -> dict[str, Any] | None:
    """Pop the next scripted response for this call, if a fault matches its method and path."""
    with state.lock:
        for fault in state.faults:
            method_ok = fault["method"] in ("*", request.method)
            if method_ok and fnmatch.fnmatchcase(request.path, fault["path"]) and fault["responses"]:
                response = fault["responses"].pop(0)
                if not fault["responses"]:
                    state.faults.remove(fault)
                return response
    return None


def fault_response(fault: dict[str, Any]) -> tuple[Response, int]:
    status = int(fault["status"])
    body = fault.get("json")
    if body is None:
        failed = {"errors": [error("sandbox_fault", f"Falha simulada (HTTP {status}).")]}
        body = failed if status >= 400 else {}
    response = jsonify(body)
    response.status_code = status
    for name, value in (fault.get("headers") or {}).items():
        response.headers[name] = str(value)
    return response, status
