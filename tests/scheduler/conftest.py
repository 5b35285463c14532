"""Fixtures for the collection rule tests (see tests/collection/env.py)."""

from tests.collection.env import collection  # noqa: F401 - a fixture
