"""The email connector as data: key, schemas, secrets and a sample that validates."""

from __future__ import annotations

import jsonschema
from jsonschema import Draft202012Validator

from connectors.mail import CONNECTOR


def test_key_and_actions_are_the_permanent_ones() -> None:
    assert CONNECTOR.key == "email"
    assert [a.key for a in CONNECTOR.actions] == ["send_email"]
    action = CONNECTOR.actions[0]
    assert (action.title, CONNECTOR.text(action.title, "pt_BR")) == ("Send email", "Enviar e-mail")
    assert "SMTP has no idempotency" in action.idempotency


def test_schemas_are_valid_json_schema() -> None:
    action = CONNECTOR.actions[0]
    for schema in (CONNECTOR.auth_schema, action.input_schema, action.output_schema):
        Draft202012Validator.check_schema(schema)


def test_the_sample_validates_against_the_output_schema() -> None:
    action = CONNECTOR.actions[0]
    jsonschema.validate(action.sample, action.output_schema)


def test_only_the_password_is_secret() -> None:
    assert CONNECTOR.secret_fields() == ["password"]


def test_auth_schema_defaults() -> None:
    props = CONNECTOR.auth_schema["properties"]
    assert CONNECTOR.auth_schema["required"] == ["host", "port", "from_address"]
    assert props["port"]["default"] == 587
    assert props["security"]["enum"] == ["starttls", "ssl", "none"]
    assert props["security"]["default"] == "starttls"
    assert props["verify_tls"]["default"] is True
    assert props["timeout_seconds"]["default"] == 20
    assert props["from_address"]["format"] == "email"
