from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from app.config import ConfigError, load_config, mode_from_env
from app.db import get_db, normalize_url
from app.factory import create_app


def test_production_refuses_to_start_without_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PONTE_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("PONTE_VAULT_KEYS", raising=False)
    monkeypatch.setenv("PONTE_INSTANCE_PATH", str(tmp_path / "instance"))
    with pytest.raises(ConfigError) as info:
        create_app()
    message = str(info.value)
    assert "SECRET_KEY" in message and "PONTE_VAULT_KEYS" in message
    assert "keys generate" in message
    assert not (tmp_path / "instance" / "vault.key").exists()


def test_environment_overrides_defaults_with_types() -> None:
    env = {"EMBEDDED_WORKER": "false", "WEBHOOK_MAX_BYTES": "1024", "RETENTION_DAYS": "7",
           "PUBLIC_BASE_URL": "https://ponte.example.com/", "LOG_LEVEL": "debug"}
    config = load_config(env, "development")
    assert config["EMBEDDED_WORKER"] is False
    assert config["WEBHOOK_MAX_BYTES"] == 1024
    assert config["RETENTION_DAYS"] == 7
    assert config["PUBLIC_BASE_URL"] == "https://ponte.example.com"
    assert config["LOG_LEVEL"] == "DEBUG"


def test_defaults() -> None:
    config = load_config({}, "development")
    assert config["EMBEDDED_WORKER"] is True
    assert config["WEBHOOK_MAX_BYTES"] == 256 * 1024
    assert config["RETENTION_DAYS"] == 30
    assert config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"
    assert config["PONTE_TIMEZONE"] == "America/Sao_Paulo"
    assert load_config({"PONTE_TIMEZONE": "America/Manaus"}, "development")["PONTE_TIMEZONE"] == "America/Manaus"


def test_testing_mode_ignores_the_environment() -> None:
    assert load_config({"DATABASE_URL": "postgresql://prod/db"}, "testing")["DATABASE_URL"] == "sqlite://"


@pytest.mark.parametrize(
    ("env", "fragment"),
    [({"EMBEDDED_WORKER": "maybe"}, "EMBEDDED_WORKER"), ({"SMTP_PORT": "x"}, "SMTP_PORT"),
     ({"SMTP_SECURITY": "tls13"}, "starttls"), ({"PONTE_TIMEZONE": "Brasil/Paulo"}, "PONTE_TIMEZONE")],
)
def test_malformed_values_are_named(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_config(env, "development")


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ConfigError, match="PONTE_ENV"):
        mode_from_env({"PONTE_ENV": "staging"})


@pytest.mark.parametrize(
    ("url", "expected"),
    [("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
     ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
     ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
     ("sqlite:///x.db", "sqlite:///x.db")],
)
def test_postgres_urls_map_to_psycopg(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_first_development_start_creates_private_key_files_and_reuses_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("SECRET_KEY", "PONTE_VAULT_KEYS", "DATABASE_URL", "PONTE_ENV"):
        monkeypatch.delenv(name, raising=False)
    instance = tmp_path / "instance"
    monkeypatch.setenv("PONTE_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("EMBEDDED_WORKER", "false")
    first = create_app()
    second = create_app()
    try:
        for name in ("secret_key", "vault.key"):
            mode = stat.S_IMODE(os.stat(instance / name).st_mode)
            assert mode == 0o600, name
        assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
        assert first.config["PONTE_VAULT_KEYS"] == second.config["PONTE_VAULT_KEYS"]
        assert first.config["DATABASE_URL"] == f"sqlite:///{instance / 'ponte.db'}"
    finally:
        get_db(first).dispose()
        get_db(second).dispose()
