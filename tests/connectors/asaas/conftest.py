"""Fixtures for the Asaas connector tests: a context factory and recorded waits."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any

import pytest

from connectors.asaas.triggers import SAMPLE
from connectors.sdk import Context
from tests.connectors.asaas.fakes import KEY, TOKEN


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def make_ctx(waits: list[float]) -> Callable[..., Context]:
    def make(attempt: int = 1, idempotency_key: str | None = "ponte-42-2", **config: Any) -> Context:
        return Context(
            config={"api_key": KEY, "environment": "sandbox", "webhook_token": TOKEN, **config},
            logger=logging.getLogger("ponte.connector.asaas"),
            idempotency_key=idempotency_key,
            attempt=attempt,
            connection_name="Asaas (sandbox)",
            sleep=waits.append,
        )

    return make


@pytest.fixture
def ctx(make_ctx: Callable[..., Context]) -> Context:
    return make_ctx()


@pytest.fixture
def payment() -> dict[str, Any]:
    """The payment of the published PAYMENT_CREATED example (docs apis.md §1.7)."""
    return copy.deepcopy(SAMPLE["payment"])


@pytest.fixture
def customer() -> dict[str, Any]:
    return copy.deepcopy(SAMPLE["customer"])
