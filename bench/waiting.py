"""What the home page pays to list recipe files waiting for a connection.

    .venv/bin/python -m bench.waiting --views 200

The shipped ``recipes/`` and ``mappings/`` on an empty SQLite database (every recipe waits).
"cold" loads and checks every file (the first view, or after a file or a connection changed);
"warm" is the usual view: a stat of each file, one ``SELECT name FROM connections``, a cache hit.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from app.db import get_db, get_session
from app.engine import waiting
from app.factory import create_app
from app.models import Base

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"DATABASE_URL": f"sqlite:///{folder}/bench.db", "SECRET_KEY": "bench",
                          "RECIPES_DIR": str(ROOT / "recipes"), "MAPPINGS_DIR": str(ROOT / "mappings")})
        Base.metadata.create_all(get_db(app).engine)
        with app.app_context():
            session = get_session()
            cold, warm = [], []
            for _ in range(args.views):
                waiting._CACHE.clear()
                start = time.perf_counter()
                found = waiting.waiting_for_config(session, app.config)
                cold.append(time.perf_counter() - start)
                start = time.perf_counter()
                waiting.waiting_for_config(session, app.config)
                warm.append(time.perf_counter() - start)
    for label, times in (("cold", cold), ("warm", warm)):
        ms = sorted(t * 1000 for t in times)
        print(f"{label}: median {statistics.median(ms):.2f} ms, p95 {ms[int(len(ms) * 0.95) - 1]:.2f} ms "
              f"({len(found)} waiting recipe(s), {args.views} views)")


if __name__ == "__main__":
    main()
