"""The second baseline for bench/ingest.py: the least a durable webhook endpoint can do on SQLite.

Read the body, ``INSERT OR IGNORE`` one row keyed by the event id, commit (an fsync in WAL mode with
``synchronous = FULL``, Ponte's setting), answer 200. No authentication, no envelope parsing, no
ORM: what is left is the server, Flask and SQLite's one-writer-at-a-time commit, which bounds any
endpoint that stores before it answers. ``BENCH_DURABLE_DB`` names the file (created if missing).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading

from flask import Flask, jsonify, request

app = Flask(__name__)
_local = threading.local()


def _db() -> sqlite3.Connection:
    connection = getattr(_local, "db", None)
    if connection is None:
        connection = sqlite3.connect(os.environ.get("BENCH_DURABLE_DB", "durable.db"), timeout=30)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, dedupe_key TEXT UNIQUE, "
                           "payload TEXT)")
        _local.db = connection
    return connection


@app.post("/webhooks/<uid>")
def receive(uid: str):  # noqa: ANN201
    body = request.get_data()
    key = json.loads(body)["id"]
    db = _db()
    db.execute("INSERT OR IGNORE INTO events (dedupe_key, payload) VALUES (?, ?)", (key, body.decode()))
    db.commit()
    return jsonify({"status": "ok"}), 200
