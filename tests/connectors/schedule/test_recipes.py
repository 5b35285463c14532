"""Recipes on ``schedule.cron`` load without a connection; a bad schedule fails at load time, with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.loader import load_recipes

RECIPE = """\
key: weekday_greeting
name: "Dias úteis às 9h → e-mail"
trigger:
  event: schedule.cron
  options:
    cron: "0 9 * * 1-5"
    timezone: America/Sao_Paulo
steps:
  - key: email
    action: email.send_email
    connection: email
    input:
      to: financeiro@example.com
      subject: {text: "Bom dia: {{ date }}"}
      text: {text: "Disparado às {{ time }} ({{ timezone }})."}
"""


def _load(tmp_path: Path, recipe: str) -> list[str]:
    (tmp_path / "recipes").mkdir()
    (tmp_path / "recipes" / "weekday_greeting.yaml").write_text(recipe, encoding="utf-8")
    result = load_recipes(tmp_path / "recipes", tmp_path / "mappings", connections={"email"})
    assert (not result.errors) == ("weekday_greeting" in result.recipes)
    return [str(e) for e in result.errors]


def test_a_schedule_recipe_loads_without_a_trigger_connection(tmp_path: Path) -> None:
    assert _load(tmp_path, RECIPE) == []


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('cron: "0 9 * * 1-5"', 'cron: "0 9 * * 1-5 2025"',
     "recipes/weekday_greeting.yaml:6: trigger options: cron: '0 9 * * 1-5 2025' is not a cron expression: "
     "it needs 5 fields (minute hour day-of-month month day-of-week), got 6"),
    ('cron: "0 9 * * 1-5"', 'cron: "0 24 * * 1-5"',
     "recipes/weekday_greeting.yaml:6: trigger options: cron: '0 24 * * 1-5' is not a valid cron expression: "
     "hour '24': the last value (24) is higher than the maximum value (23)"),
    ("timezone: America/Sao_Paulo", "timezone: Brasilia",
     "recipes/weekday_greeting.yaml:7: trigger options: timezone: unknown time zone 'Brasilia'; use an IANA name "
     "such as America/Sao_Paulo"),
    ('cron: "0 9 * * 1-5"', 'every: "45m"',
     "recipes/weekday_greeting.yaml:6: trigger options: every: '45m' does not divide the hour evenly; use 1m, 2m, "
     "3m, 4m, 5m, 6m, 10m, 12m, 15m, 20m, 30m (or a cron expression)"),
    ('    cron: "0 9 * * 1-5"\n', "",
     "recipes/weekday_greeting.yaml:5: trigger options: give either cron (e.g. \"0 9 * * 1-5\") or every "
     "(e.g. \"15m\"), one of them"),
    ('    cron: "0 9 * * 1-5"\n', '    cron: "0 9 * * 1-5"\n    at: "9h"\n',
     "recipes/weekday_greeting.yaml:5: trigger options: Additional properties are not allowed ('at' was "
     "unexpected); allowed: cron, every, timezone"),
    ("  event: schedule.cron", "  connection: email\n  event: schedule.cron",
     "recipes/weekday_greeting.yaml:4: schedule.cron needs no connection: remove trigger.connection"),
])
def test_a_bad_schedule_is_refused_at_its_line(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in RECIPE
    assert _load(tmp_path, RECIPE.replace(old, new)) == [expected]
