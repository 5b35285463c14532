"""Webhook → action latency (p50/p99) through the sandbox doubles, with the seed recipe.

    .venv/bin/python -m bench.latency --events 200

The Asaas double emits PAYMENT_CREATED to Ponte's webhook; recipe ``asaas_charge_to_contract``
runs (trigger fetches the customer from the Asaas double, filters, mapping) and its action calls
the ZapSign double's ``POST /models/create-doc/``. Latency is measured from the moment the payment
is created in the Asaas double (which queues the webhook) to the moment the ZapSign double's
request log shows the create-doc call (polled every --poll-ms). Events are sent one at a time, so
this is latency without queueing. Everything runs in this process on loopback: Ponte served by
werkzeug (threaded) with its embedded executor, SQLite in a temporary folder.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _create_docs(zapsign_url: str) -> int:
    log = requests.get(f"{zapsign_url}/_sandbox/requests", timeout=5).json()
    log = log.get("requests", log) if isinstance(log, dict) else log
    return sum(1 for r in log if r["method"] == "POST" and r["path"].endswith("/models/create-doc/"))


def measure(events: int, poll_ms: float, timeout: float) -> dict[str, Any]:
    from app.db import get_db
    from app.engine.executor import EmbeddedExecutor
    from app.factory import create_app
    from app.models import Base
    from app.vault import generate_key
    from sandbox.demo import start_doubles, wire_demo
    from sandbox.server import serve_in_thread

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per request
    workdir = Path(tempfile.mkdtemp(prefix="ponte-bench-latency-"))
    app = create_app({
        "DATABASE_URL": f"sqlite:///{workdir / 'ponte.db'}", "PONTE_VAULT_KEYS": generate_key(),
        "INSTANCE_PATH": str(workdir), "RECIPES_DIR": str(ROOT / "recipes"), "MAPPINGS_DIR": str(ROOT / "mappings"),
        "LOG_LEVEL": "WARNING",
    })
    Base.metadata.create_all(get_db(app).engine)
    doubles = start_doubles()
    ponte = serve_in_thread(app)
    executor = EmbeddedExecutor(app, workers=4, poll_interval=1.0)
    app.extensions["ponte_executor"] = executor  # the webhook view wakes it up on each stored event
    try:
        report = wire_demo(app, doubles, ponte.url)
        if report is None or "asaas_charge_to_contract" not in report.created:
            raise SystemExit(f"seed recipe not applied: {report and report.errors}")
        executor.start()
        samples: list[float] = []
        for n in range(events):
            before = _create_docs(doubles.zapsign.url)
            started = time.perf_counter()
            requests.post(f"{doubles.asaas.url}/_sandbox/payments", timeout=5, json={
                "customer": {"name": f"Cliente {n}", "cpfCnpj": "52998224725", "email": f"c{n}@example.com"},
                "value": 450.0, "billingType": "BOLETO", "dueDate": "2030-03-10",
            }).raise_for_status()
            deadline = started + timeout
            while _create_docs(doubles.zapsign.url) == before:
                if time.perf_counter() > deadline:
                    raise SystemExit(f"event {n}: no create-doc call within {timeout} s")
                time.sleep(poll_ms / 1000)
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        executor.stop()
        ponte.stop()
        doubles.stop()
        get_db(app).dispose()
        shutil.rmtree(workdir, ignore_errors=True)
    return {"events": events, "poll_ms": poll_ms, "p50_ms": round(_percentile(samples, 0.5), 1),
            "p99_ms": round(_percentile(samples, 0.99), 1), "mean_ms": round(statistics.fmean(samples), 1),
            "max_ms": round(max(samples), 1)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--poll-ms", type=float, default=2.0, help="How often the ZapSign log is read.")
    parser.add_argument("--timeout", type=float, default=30.0, help="Give up on one event after this long.")
    args = parser.parse_args(argv)
    result = measure(args.events, args.poll_ms, args.timeout)
    print(f"webhook -> ZapSign create-doc: p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
          f"mean {result['mean_ms']} ms, max {result['max_ms']} ms ({result['events']} events, "
          f"polled every {result['poll_ms']} ms)")
    return result


if __name__ == "__main__":
    main()
