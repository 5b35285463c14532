"""The CLI against the real connector registry (skipped until connectors.registry imports)."""

from __future__ import annotations

import pytest
from flask import Flask


def _registry():
    try:
        from connectors import registry
    except ImportError as exc:
        pytest.skip(f"connectors.registry is not importable yet: {exc}")
    return registry


def test_unknown_connector_lists_the_real_keys(app: Flask) -> None:
    registry = _registry()
    args = ["connections", "create", "--connector", "nope", "--name", "x"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0
    for connector in registry.CONNECTORS:
        assert connector.key in result.output


def test_every_real_auth_schema_is_valid_json_schema() -> None:
    from jsonschema import Draft202012Validator

    for connector in _registry().CONNECTORS:
        Draft202012Validator.check_schema(connector.auth_schema)
