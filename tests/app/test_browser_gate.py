"""In CI a browser test never skips: without chromium the browser suite fails instead."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _collect_browser_suite(ci: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": ci, "PONTE_CHROMIUM": "/nonexistent/chromium"}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
                           "tests/browser/test_schedule_wizard.py"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_missing_chromium_fails_the_browser_suite_in_ci() -> None:
    result = _collect_browser_suite("true")
    assert result.returncode != 0
    assert "CI=true" in result.stdout + result.stderr


def test_missing_chromium_skips_the_browser_suite_outside_ci() -> None:
    result = _collect_browser_suite("")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped" in result.stdout and "failed" not in result.stdout
