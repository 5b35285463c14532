"""Fixtures for the ZapSign connector tests: a context on the sandbox URL with a fake sleep."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from connectors.sdk import Context
from connectors.zapsign.triggers import WEBHOOK_EXAMPLES

BASE = "https://sandbox.api.zapsign.com.br/api/v1"
TOKEN = "zs-test-token-123"


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def ctx(waits: list[float]) -> Context:
    return Context(config={"api_token": TOKEN, "environment": "sandbox"}, sleep=waits.append,
                   idempotency_key="ponte-41-1")


@pytest.fixture
def example() -> Any:
    """A deep copy of a documented webhook body: ``example("doc_signed")``."""
    return lambda event_type: copy.deepcopy(WEBHOOK_EXAMPLES[event_type])
