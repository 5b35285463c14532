"""The OpenAPI 3.1 document of /api: generated from the routes, complete, valid, served publicly."""

from __future__ import annotations

import jsonschema
from flask import Flask
from flask.testing import FlaskClient

from app.api.openapi import build_spec
from tests.conftest import Person


def test_every_api_route_and_method_is_in_the_document(app: Flask, client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()  # public: no login
    assert document["openapi"] == "3.1.0"
    routes = {(rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}"), method.lower())
              for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert documented == routes and len(routes) >= 18


def test_a_view_without_a_contract_fails_the_build(app: Flask) -> None:
    @app.get("/api/undocumented")
    def undocumented() -> str:
        return "x"

    app.view_functions["api.undocumented"] = app.view_functions.pop("undocumented")
    for rule in app.url_map.iter_rules():
        if rule.rule == "/api/undocumented":
            rule.endpoint = "api.undocumented"
    try:
        build_spec(app)
    except LookupError as exc:
        assert "api.undocumented (/api/undocumented) has no @operation contract" in str(exc)
    else:
        raise AssertionError("an undocumented /api view must fail the build")


def test_answers_match_their_declared_schemas(app: Flask, client: FlaskClient, admin: Person) -> None:
    document = client.get("/api/openapi.json").get_json()

    def schema(path: str, method: str, status: int) -> dict:
        answer = document["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
        if "$ref" in answer:
            return document["components"]["schemas"][answer["$ref"].rsplit("/", 1)[1]]
        return answer

    made = client.post("/api/tokens", json={"name": "x", "scope": "read"}, headers=admin.headers)
    jsonschema.validate(made.get_json(), schema("/api/tokens", "post", 201))
    for path in ("/api/tokens", "/api/runs", "/api/recipes", "/api/connections"):
        jsonschema.validate(client.get(path, headers=admin.headers).get_json(), schema(path, "get", 200))
    missing = client.get("/api/runs/999", headers=admin.headers)
    jsonschema.validate(missing.get_json(), schema("/api/runs/{run_id}", "get", 404))
    text = client.get("/api/openapi.json").get_data(as_text=True)
    assert admin.token not in text and made.get_json()["token"] not in text
