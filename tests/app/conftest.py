"""Fixtures for app tests: the fake connector registry."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app import connections
from tests.app.fake_registry import make_registry


@pytest.fixture
def fake_registry(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """Serve connectors from the fake registry (fakepay with a webhook, fakemail without)."""
    registry = make_registry()
    monkeypatch.setattr(connections, "_registry", lambda: registry)
    return registry
