"""Reuse the CLI tests' project fixture (an app with temporary recipe folders)."""

from __future__ import annotations

from tests.cli.conftest import project  # noqa: F401 - a fixture
