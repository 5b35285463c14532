"""Odd input in URLs, query strings, forms and JSON gets a 4xx with a reason: never a 500.

Each case below used to be a 500 (``int("²")`` after ``"²".isdigit()``, an id beyond the database
column, a NUL that PostgreSQL refuses, a name longer than its column). They run on SQLite and, in
CI, on PostgreSQL, where NUL characters and lengths are enforced.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.inputs import parse_int

HUGE = "9" * 30


def test_parse_int_reads_plain_digits_within_bounds_only() -> None:
    assert parse_int("42") == 42 and parse_int(" 7 ") == 7 and parse_int("-3") == -3
    assert parse_int("²") is None and parse_int("١٢") is None and parse_int("4.2") is None
    assert parse_int(HUGE) is None and parse_int("2147483648") is None and parse_int(None, 5) == 5
    assert parse_int("0", minimum=1) is None and parse_int("31", minimum=1, maximum=31) == 31


@pytest.mark.parametrize("url", [
    "/runs?page=²", "/runs?recipe=²", f"/runs?page={HUGE}", f"/runs?recipe={HUGE}", "/runs?q=a%00b",
])
def test_run_list_query_strings(operator_client: FlaskClient, url: str) -> None:
    assert operator_client.get(url).status_code in (200, 400)


@pytest.mark.parametrize(("method", "url", "expected"), [
    ("get", f"/runs/{HUGE}", 404), ("get", f"/api/runs/{HUGE}", 404), ("get", "/api/runs?limit=²", 400),
    ("get", "/api/runs?offset=²", 400), ("get", "/api/recipes/a%00b", 400), ("get", "/api/runs?recipe=a%00b", 400),
    ("post", f"/api/runs/{HUGE}/replay", 404),
])
def test_urls_beyond_the_database(operator_client: FlaskClient, method: str, url: str, expected: int) -> None:
    assert getattr(operator_client, method)(url).status_code == expected


def test_json_bodies_beyond_the_database(admin_client: FlaskClient) -> None:
    replay = admin_client.post("/api/runs/replay", json={"ids": [10**20]})
    assert replay.status_code == 422 and "run ids" in replay.json["error"]["message"]
    forced = admin_client.post("/api/runs/1/replay", json={"force": "false"})
    assert forced.status_code == 400 and "boolean" in forced.json["error"]["message"]
    token = admin_client.post("/api/tokens", json={"name": "x" * 300})
    assert token.status_code == 422
    connection = admin_client.post("/api/connections", json={
        "connector": "asaas", "name": "y" * 300, "config": {"api_key": "$aact_hmlg_000", "environment": "sandbox"}})
    assert connection.status_code in (400, 422) and "at most 100" in connection.get_data(as_text=True)


def test_a_nul_in_the_login_form_is_a_400(app: Flask) -> None:
    response = app.test_client().post("/login", data={"email": "a\x00@example.com", "password": "x"})
    assert response.status_code == 400


def test_a_cookie_authenticated_api_write_must_be_json(admin_client: FlaskClient) -> None:
    # A cross-site form post carries the cookie but cannot be JSON without a CORS preflight.
    forged = admin_client.post("/api/runs/1/replay", data={"mode": "trigger", "force": "true"})
    assert forged.status_code == 415 and "JSON" in forged.json["error"]["message"]
    assert admin_client.post("/api/runs/1/replay", json={}).status_code == 409  # no such run to replay
