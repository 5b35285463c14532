"""The baseline for bench/ingest.py: a Flask endpoint at the same URL that only answers 200."""

from __future__ import annotations

from flask import Flask, jsonify

app = Flask(__name__)


@app.post("/webhooks/<uid>")
def receive(uid: str):  # noqa: ANN201
    return jsonify({"status": "ok"}), 200
