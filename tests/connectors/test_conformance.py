"""One conformance test over the registry: what every connector promises the engine and the wizard."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from connectors import registry
from connectors.sdk import Action, Connector, Trigger

KEY = re.compile(r"^[a-z][a-z0-9_]*$")
TESTS = Path(__file__).parent

CONNECTORS = registry.CONNECTORS
TRIGGERS = [(c, t) for c in CONNECTORS for t in c.triggers]
ACTIONS = [(c, a) for c in CONNECTORS for a in c.actions]


def _ids(pairs: list) -> list[str]:
    return [f"{c.key}.{item.key}" for c, item in pairs]


def test_connector_keys_are_unique_and_snake_case() -> None:
    keys = [c.key for c in CONNECTORS]
    assert len(keys) == len(set(keys)) and all(KEY.match(k) for k in keys)
    for connector in CONNECTORS:
        for items in (connector.triggers, connector.actions, connector.lookups):
            item_keys = [i.key for i in items]
            assert len(item_keys) == len(set(item_keys)) and all(KEY.match(k) for k in item_keys)


@pytest.mark.parametrize("connector", CONNECTORS, ids=[c.key for c in CONNECTORS])
def test_auth_schema_is_valid_and_marks_secrets_write_only(connector: Connector) -> None:
    jsonschema.Draft202012Validator.check_schema(connector.auth_schema)
    if not connector.needs_connection:  # built in (the schedule): no account, so nothing to receive or act on
        assert not connector.auth_schema.get("properties") and connector.webhook is None
        assert not connector.actions and all(t.kind == "polling" for t in connector.triggers)
        return
    assert connector.secret_fields(), f"{connector.key} has no write-only secret field"
    if connector.webhook is not None:
        assert connector.webhook.secret_field in connector.secret_fields()
        secret = connector.webhook.generate_secret()
        assert len(secret) >= 32 and secret != connector.webhook.generate_secret()
        assert connector.webhook.instructions("https://ponte.example/webhooks/x", "pt_BR")
        assert connector.webhook.instructions("https://ponte.example/webhooks/x", "en")


@pytest.mark.parametrize(("connector", "trigger"), TRIGGERS, ids=_ids(TRIGGERS))
def test_trigger_schemas_are_valid_and_the_sample_validates(connector: Connector, trigger: Trigger) -> None:
    jsonschema.Draft202012Validator.check_schema(trigger.output_schema)
    jsonschema.Draft202012Validator.check_schema(trigger.options_schema)
    jsonschema.validate(trigger.sample, trigger.output_schema)
    assert trigger.kind in ("webhook", "polling") and trigger.title and trigger.description
    if trigger.kind == "polling":
        assert trigger.poll is not None
    else:
        assert connector.webhook is not None and not trigger.clock


@pytest.mark.parametrize(("connector", "action"), ACTIONS, ids=_ids(ACTIONS))
def test_action_schemas_are_valid_and_the_sample_validates(connector: Connector, action: Action) -> None:
    jsonschema.Draft202012Validator.check_schema(action.input_schema)
    jsonschema.Draft202012Validator.check_schema(action.output_schema)
    jsonschema.validate(action.sample, action.output_schema)
    assert action.idempotency.strip(), f"{connector.key}.{action.key} must say how it stays idempotent"
    assert action.title and action.description


@pytest.mark.parametrize(("connector", "item"), TRIGGERS + ACTIONS, ids=_ids(TRIGGERS + ACTIONS))
def test_every_trigger_and_action_is_named_in_its_connectors_tests(connector: Connector, item: object) -> None:
    folder = TESTS / ("mail" if connector.key == "email" else connector.key)
    text = "\n".join(p.read_text(encoding="utf-8") for p in folder.rglob("test_*.py"))
    assert item.key in text, f"no test in {folder} mentions {connector.key}.{item.key}"


def test_the_catalogue_is_json() -> None:
    catalogue = json.loads(json.dumps(registry.catalogue()))
    assert {c["key"] for c in catalogue} == {c.key for c in CONNECTORS}
