"""A SQLite database with a million runs, for the run pages and prune benchmarks.

    .venv/bin/python -m bench.million_runs --runs 1000000 --out /tmp/ponte-1m/ponte.db

Tables come from the models (the same schema the migrations build, see tests/migrations), through
the app's own engine settings (WAL, ``auto_vacuum = INCREMENTAL``). Rows go in with plain
``sqlite3`` in large transactions, so a million runs take a few minutes, not hours. What is in it:
one Asaas and one ZapSign connection, 6 recipes, an admin (``bench@example.com`` / ``bench-password``)
with an API token (printed, and kept in ``<out>.token``), and ``--runs`` runs, each with its event,
its trigger step and the references a real run stores (payment id, customer name, CPF, e-mail; a
ZapSign run: document token, external id, signer). Statuses: 86% succeeded, 5% failed, 5% filtered,
2% skipped, 2% queued/retrying. ``--recent`` of the runs are from the last 30 days, the rest from the
year before, so ``runs prune --days 30`` deletes about ``runs - recent`` of them.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import string
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app import create_app
from app.auth import create_api_token, create_user
from app.db import get_db, get_session
from app.engine.references import search_keys
from app.models import Base
from app.vault import generate_key

FIRST = ["Marina", "João", "Ana", "Pedro", "Lucas", "Beatriz", "Carla", "Rafael", "Juliana", "Fernanda", "Bruno",
         "Camila", "Diego", "Larissa", "Gustavo", "Patrícia", "Rodrigo", "Aline", "Thiago", "Vanessa"]
MIDDLE = ["Costa", "Souza", "Lima", "Pereira", "Alves", "Ribeiro", "Carvalho", "Gomes", "Martins", "Rocha"]
LAST = ["Andrade", "Silva", "Santos", "Oliveira", "Ferreira", "Rodrigues", "Almeida", "Nascimento", "Araújo",
        "Barbosa", "Cardoso", "Teixeira", "Mendes", "Moura", "Freitas", "Cavalcanti", "Dias", "Castro"]
STATUSES = ["succeeded"] * 86 + ["failed"] * 5 + ["filtered"] * 5 + ["skipped"] * 2 + ["queued", "retrying"]
PASSWORD = "bench-password"
BATCH = 20_000


def _id(prefix: str, n: int, rng: random.Random) -> str:
    return prefix + "".join(rng.choices(string.ascii_lowercase + string.digits, k=n))


def _setup(path: Path) -> tuple[int, int, list[tuple[int, str, str]], str]:
    """Schema, connections, recipes, the admin and its token, through the app."""
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "bench", "PONTE_VAULT_KEYS": generate_key(),
                      "INSTANCE_PATH": str(path.parent / "instance"), "EMBEDDED_WORKER": False,
                      "APPLY_RECIPE_FILES_ON_START": False})
    Base.metadata.create_all(get_db(app).engine)
    with app.app_context():
        session = get_session()
        admin = create_user(session, email="bench@example.com", name="Bench", role="admin", password=PASSWORD)
        _, token = create_api_token(session, admin, "bench")
        session.commit()
    get_db(app).dispose()
    db = sqlite3.connect(path)
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    db.execute("INSERT INTO connections (id, uid, connector_key, name, settings, status, created_at, updated_at) "
               "VALUES (1, 'bench-asaas', 'asaas', 'asaas', '{}', 'ok', ?, ?), "
               "(2, 'bench-zapsign', 'zapsign', 'zapsign', '{}', 'ok', ?, ?)", (now, now, now, now))
    recipes = [(1, "asaas.payment_created", "charge_to_contract"), (1, "asaas.payment_received", "receipt_mail"),
               (1, "asaas.payment_overdue", "overdue_mail"), (1, "asaas.payment_created", "welcome_mail"),
               (2, "zapsign.document_signed", "signed_mail"), (2, "zapsign.document_refused", "refused_alert")]
    rows = []
    for i, (connection, trigger, key) in enumerate(recipes, 1):
        definition = json.dumps({"key": key, "name": key, "trigger": {"connection": "x", "event": trigger}})
        rows.append((i, key, key.replace("_", " "), "", 1, "file", 1, connection, trigger, definition, now, now))
    db.executemany("INSERT INTO recipes (id, key, name, description, enabled, source, version, trigger_connection_id,"
                   " trigger_key, definition, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    db.commit()
    db.close()
    return 1, 2, [(i, r[1], r[2]) for i, r in enumerate(recipes, 1)], token


def _run_rows(n: int, rng: random.Random, recipes: list[tuple[int, str, str]], when: datetime
              ) -> tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...], list[tuple[Any, ...]]]:
    recipe_id, trigger, _ = rng.choice(recipes)
    status = rng.choice(STATUSES)
    name = f"{rng.choice(FIRST)} {rng.choice(MIDDLE)} {rng.choice(LAST)}"
    email = ".".join(name.lower().split()[::2]) + f"{n}@example.com.br"
    cpf = "".join(rng.choices(string.digits, k=11))
    payment_id = _id("pay_", 16, rng)
    stamp = when.isoformat(" ")
    if trigger.startswith("zapsign"):
        token = str(uuid.UUID(int=rng.getrandbits(128)))
        payload = {"event_type": "doc_signed", "token": token, "external_id": payment_id, "status": "signed",
                   "signers": [{"name": name, "email": email, "cpf": cpf}]}
        output = {"event": "doc_signed", "document": {"token": token, "external_id": payment_id, "status": "signed",
                                                       "name": "Contrato"},
                  "signer": {"name": name, "email": email, "cpf": cpf}}
        refs = {"document": token, "external_id": payment_id, "signer_name": name, "email": email, "cpf": cpf}
        connection, event_type = 2, "doc_signed"
    else:
        event_type = trigger.split(".")[1].upper()
        payment = {"object": "payment", "id": payment_id, "customer": _id("cus_", 12, rng),
                   "value": round(rng.uniform(50, 5000), 2), "billingType": rng.choice(["BOLETO", "PIX"]),
                   "status": "PENDING", "dueDate": when.date().isoformat(), "description": "Mensalidade"}
        payload = {"id": _id("evt_", 24, rng), "event": event_type, "dateCreated": stamp[:19], "payment": payment}
        output = {"event": event_type, "event_id": payload["id"], "payment": payment,
                  "customer": {"id": payment["customer"], "name": name, "email": email, "cpfCnpj": cpf,
                               "mobilePhone": "11987654321", "cityName": "São Paulo"}}
        refs = {"payment": payment_id, "customer_name": name, "cpf_cnpj": cpf, "email": email}
        connection = 1
    verdict = {"passed": status != "filtered", "explanation": "all conditions passed" if status != "filtered"
               else "$.payment.value greater_or_equal 100 failed: actual 50.0", "groups": [], "failed": None}
    finished = stamp if status in ("succeeded", "failed", "filtered", "skipped") else None
    event = (n, connection, f"bench-{n}", event_type, json.dumps(payload), stamp, "webhook", stamp)
    run = (n, recipe_id, 1, n, f"{recipe_id}:{n}", status, 1, 6, json.dumps(output), json.dumps(verdict),
           "contract: ZapSign answered 503" if status == "failed" else None, stamp, stamp, finished,
           json.dumps(refs, ensure_ascii=False))
    step = (n, 0, "trigger", trigger, "succeeded", 1, f"ponte-{n}-0", stamp, stamp)
    references = [(n, ref, key) for ref, value in refs.items() for key in search_keys(value)]
    return event, run, step, references


def generate(out: Path, runs: int, recent: int, seed: int = 7) -> dict[str, Any]:
    out.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{out}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    _, _, recipes, token = _setup(out)
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None)
    db = sqlite3.connect(out)
    db.execute("PRAGMA synchronous = OFF")
    samples: dict[str, str] = {}
    for start in range(1, runs + 1, BATCH):
        events, run_rows, steps, refs = [], [], [], []
        for n in range(start, min(start + BATCH, runs + 1)):
            old = n <= runs - recent  # ids grow with time: the oldest runs first
            age = (timedelta(days=31 + (runs - recent - n) * 365 / max(runs - recent, 1)) if old
                   else timedelta(days=30 * (runs - n) / max(recent, 1)))
            event, run, step, references = _run_rows(n, rng, recipes, now - age)
            events.append(event)
            run_rows.append(run)
            steps.append(step)
            refs.extend(references)
            if n == runs - recent // 2:  # a recent run to search for
                samples = json.loads(run[-1])
        db.executemany("INSERT INTO events (id, connection_id, dedupe_key, event_type, payload, received_at, source,"
                       " dispatched_at) VALUES (?,?,?,?,?,?,?,?)", events)
        db.executemany("INSERT INTO runs (id, recipe_id, recipe_version, event_id, dedupe_key, status, attempt,"
                       " max_attempts, trigger_output, filter_result, error, created_at, started_at, finished_at,"
                       " refs) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", run_rows)
        db.executemany("INSERT INTO steps (run_id, position, key, action_key, status, attempt, idempotency_key,"
                       " started_at, finished_at) VALUES (?,?,?,?,?,?,?,?,?)", steps)
        db.executemany("INSERT OR IGNORE INTO run_references (run_id, name, value) VALUES (?,?,?)", refs)
        db.commit()
    db.execute("ANALYZE")
    db.commit()
    db.close()
    Path(f"{out}.token").write_text(token)
    Path(f"{out}.samples.json").write_text(json.dumps(samples, ensure_ascii=False))
    return {"runs": runs, "recent": recent, "seconds": round(time.perf_counter() - started, 1),
            "bytes": out.stat().st_size, "token": token, "samples": samples}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--recent", type=int, default=None, help="Runs from the last 30 days (default: 1%%).")
    parser.add_argument("--out", type=Path, default=Path("/tmp/ponte-1m/ponte.db"))
    args = parser.parse_args(argv)
    result = generate(args.out, args.runs, args.recent if args.recent is not None else max(args.runs // 100, 1))
    print(f"{result['runs']:,} runs ({result['recent']:,} from the last 30 days) in {result['seconds']} s: "
          f"{args.out} ({result['bytes']:,} bytes); API token in {args.out}.token")
    return result


if __name__ == "__main__":
    main()
