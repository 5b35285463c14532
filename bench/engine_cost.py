"""Engine cost per event: 3 compiled filters + a 15-field mapping vs the same transform hand-written.

    .venv/bin/python -m bench.engine_cost --events 20000 --rounds 3

The engine and its baseline are timed in interleaved rounds (engine, hand, engine, hand, ...) so
noise from other work on the machine hits both; min/median/max per side are reported and the
ratio is the ratio of the medians. Both sides read the same Asaas trigger output and produce the
same ZapSign input (checked once before timing), so the difference is what the engine's
generality costs: JSONPath lookups, formatter pipelines, coercion and the "no silent nulls" bookkeeping.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import date
from typing import Any

from app.engine.loader import load_recipe_document
from app.engine.spec import RecipeSpec

RECIPE: dict[str, Any] = {
    "key": "bench_engine_cost",
    "name": "bench",
    "trigger": {"connection": "asaas", "event": "asaas.payment_created"},
    "filters": [
        {"field": "$.payment.billingType", "op": "in", "value": ["BOLETO", "PIX", "UNDEFINED"]},
        {"field": "$.payment.status", "op": "equals", "value": "PENDING"},
        {"field": "$.payment.value", "op": "greater_or_equal", "value": "100,00", "type": "number"},
    ],
    "steps": [{
        "key": "contract",
        "action": "zapsign.create_document_from_template",
        "connection": "zapsign",
        "input": {
            "template_id": "c2a8b6a4-1f0e-4b53-9a57-5f0c2e8d7a10",
            "signer_name": {"path": "$.customer.name"},
            "signer_email": {"path": "$.customer.email", "format": ["lower"]},
            "signer_phone_number": {"path": "$.customer.mobilePhone", "format": ["digits"]},
            "external_id": {"path": "$.payment.id"},
            "variables": {
                "NOME COMPLETO": {"path": "$.customer.name", "format": ["upper"]},
                "CPF": {"path": "$.customer.cpfCnpj", "format": ["cpf_cnpj"]},
                "EMAIL": {"path": "$.customer.email", "format": ["lower"]},
                "VALOR": {"path": "$.payment.value", "format": ["brl"]},
                "VENCIMENTO": {"path": "$.payment.dueDate", "format": [{"date": "%d/%m/%Y"}]},
                "DESCRICAO": {"path": "$.payment.description", "default": "Prestação de serviços"},
                "COBRANCA": {"path": "$.payment.id"},
                "FORMA": {"path": "$.payment.billingType",
                          "format": [{"map": {"BOLETO": "Boleto", "PIX": "Pix"}, "default": "Outro"}]},
                "CIDADE": {"path": "$.customer.cityName", "default": ""},
                "CEP": {"path": "$.customer.postalCode", "format": ["digits"]},
                "REFERENCIA": {"text": "Cobrança {{ payment.id }} de {{ customer.name }}"},
            },
        },
    }],
}

EVENT: dict[str, Any] = {
    "event": "PAYMENT_CREATED", "event_id": "evt_1",
    "payment": {"id": "pay_n6ic32hq5hr1xcr1", "customer": "cus_1", "value": 450.0, "billingType": "BOLETO",
                "status": "PENDING", "dueDate": "2025-03-10", "description": "Contrato março/2025"},
    "customer": {"id": "cus_1", "name": "Marina Costa Andrade", "email": "Marina.Andrade@Example.com.br",
                 "cpfCnpj": "52998224725", "mobilePhone": "(11) 98765-4321", "cityName": "São Paulo",
                 "postalCode": "01310-100"},
}


def _brl(value: float) -> str:
    text = f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"R$ {text}"


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def hand_written(event: dict[str, Any]) -> dict[str, Any] | None:
    """The same filters and mapping as RECIPE, written directly in Python."""
    payment, customer = event["payment"], event["customer"]
    if payment.get("billingType") not in ("BOLETO", "PIX", "UNDEFINED") or payment.get("status") != "PENDING":
        return None
    if float(payment.get("value") or 0) < 100:
        return None
    cpf = _digits(customer["cpfCnpj"])
    due = date.fromisoformat(payment["dueDate"])
    return {
        "template_id": "c2a8b6a4-1f0e-4b53-9a57-5f0c2e8d7a10",
        "signer_name": customer["name"],
        "signer_email": customer["email"].lower(),
        "signer_phone_number": _digits(customer["mobilePhone"]),
        "external_id": payment["id"],
        "variables": {
            "NOME COMPLETO": customer["name"].upper(),
            "CPF": f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}",
            "EMAIL": customer["email"].lower(),
            "VALOR": _brl(payment["value"]),
            "VENCIMENTO": due.strftime("%d/%m/%Y"),
            "DESCRICAO": payment.get("description") or "Prestação de serviços",
            "COBRANCA": payment["id"],
            "FORMA": {"BOLETO": "Boleto", "PIX": "Pix"}.get(payment["billingType"], "Outro"),
            "CIDADE": customer.get("cityName") or "",
            "CEP": _digits(customer["postalCode"]),
            "REFERENCIA": f"Cobrança {payment['id']} de {customer['name']}",
        },
    }


def compile_recipe() -> RecipeSpec:
    spec, errors = load_recipe_document(RECIPE, mappings={})
    if spec is None:
        raise SystemExit("bench recipe does not load: " + "; ".join(map(str, errors)))
    return spec


def engine(spec: RecipeSpec, event: dict[str, Any]) -> dict[str, Any] | None:
    if not spec.filters.evaluate(event).passed:
        return None
    return dict(spec.steps[0].mapping.apply({**event, "steps": {}}).value)


def _time(fn: Any, events: int) -> float:
    started = time.perf_counter()
    for _ in range(events):
        fn()
    return (time.perf_counter() - started) / events * 1e6


def _spread(values: list[float]) -> dict[str, float]:
    return {"min": round(min(values), 2), "median": round(statistics.median(values), 2),
            "max": round(max(values), 2)}


def measure(events: int, rounds: int = 3) -> dict[str, Any]:
    spec = compile_recipe()
    expected = hand_written(EVENT)
    got = engine(spec, EVENT)
    if got != expected:
        raise SystemExit(f"engine and hand-written disagree:\n{json.dumps([got, expected], indent=1)}")
    _time(lambda: engine(spec, EVENT), min(events, 500))  # warm up
    engine_runs: list[float] = []
    hand_runs: list[float] = []
    for _ in range(rounds):
        engine_runs.append(_time(lambda: engine(spec, EVENT), events))
        hand_runs.append(_time(lambda: hand_written(EVENT), events))
    engine_us, hand_us = statistics.median(engine_runs), statistics.median(hand_runs)
    return {"events": events, "rounds": rounds, "filters": 3, "fields": 15, "engine_us": round(engine_us, 2),
            "hand_us": round(hand_us, 2), "ratio": round(engine_us / hand_us, 1),
            "engine": _spread(engine_runs), "hand": _spread(hand_runs)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    result = measure(args.events, args.rounds)
    e, h = result["engine"], result["hand"]
    print(f"engine: {e['median']} µs/event (min {e['min']}, max {e['max']})  hand-written: {h['median']} µs/event "
          f"(min {h['min']}, max {h['max']})  ratio of medians: {result['ratio']}x  "
          f"({result['events']} events x {result['rounds']} interleaved rounds, 3 filters, 15 fields)")
    return result


if __name__ == "__main__":
    main()
