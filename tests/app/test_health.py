from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from app.db import create_db_engine, get_db


def test_healthz_is_always_200(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_is_200_when_the_database_answers(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_readyz_is_503_with_a_reason_when_the_database_is_gone(app: Flask, tmp_path) -> None:
    db = get_db(app)
    working = db.engine
    db.engine = create_db_engine(f"sqlite:///{tmp_path}/missing/dir/ponte.db")
    try:
        response = app.test_client().get("/readyz")
    finally:
        db.engine.dispose()
        db.engine = working
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert "database unavailable" in body["reason"]
