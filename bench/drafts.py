"""Concurrent saves of one wizard draft: N threads each save the same draft (``draft_store.save_draft``)
through the app's database, like the live preview racing "next". Prints failures, saves/s and the
final revision (N + 1 when every save landed). SQLite in a temp folder, or ``--database-url``.

    .venv/bin/python -m bench.drafts --saves 120 --threads 40
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

from app.auth import create_user
from app.db import get_db, get_session
from app.factory import create_app
from app.models import Base
from app.vault import generate_key
from app.web import draft_store


def main(argv: list[str] | None = None) -> dict[str, int | float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--saves", type=int, default=120)
    parser.add_argument("--threads", type=int, default=40)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="ponte-bench-drafts-"))
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "PONTE_VAULT_KEYS": generate_key(),
                      "DATABASE_URL": args.database_url or f"sqlite:///{folder / 'bench.db'}",
                      "INSTANCE_PATH": str(folder)})
    engine = get_db(app).engine
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with app.app_context():
        user = create_user(get_session(), email="bench@example.com", name="B", role="operator", password="x" * 12)
        get_session().commit()
        draft = draft_store.new_draft(user.id, {"name": "bench", "steps": []}, template="blank")
    failures: list[str] = []
    todo = iter(range(args.saves))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                n = next(todo, None)
            if n is None:
                return
            try:
                with app.app_context():
                    draft_store.save_draft({**draft, "document": {"name": f"save {n}", "steps": [{"k": n}] * 30}})
            except Exception as exc:  # noqa: BLE001 - counted and printed
                failures.append(type(exc).__name__)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    with app.app_context():
        revision = draft_store.load_draft(draft["id"], user.id)["revision"]
    print(f"{args.saves} saves from {args.threads} threads on {engine.dialect.name}: {len(failures)} failed, "
          f"{args.saves / elapsed:.0f} saves/s, final revision {revision} (expected {args.saves + 1})")
    Base.metadata.drop_all(engine)
    get_db(app).dispose()
    return {"saves": args.saves, "failed": len(failures), "revision": revision, "per_second": args.saves / elapsed}


if __name__ == "__main__":
    main()
