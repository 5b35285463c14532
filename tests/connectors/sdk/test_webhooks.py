"""Webhook helpers fail closed."""

from __future__ import annotations

import pytest

from connectors.sdk import WebhookAuthError, constant_time_equals, generate_token, require_secret


def test_empty_secrets_never_match() -> None:
    assert not constant_time_equals("", "")
    assert not constant_time_equals(None, None)
    assert constant_time_equals("abc", "abc")


@pytest.mark.parametrize(("given", "expected"), [(None, "x" * 32), ("wrong", "x" * 32), ("x" * 32, None)])
def test_require_secret_rejects(given: str | None, expected: str | None) -> None:
    with pytest.raises(WebhookAuthError):
        require_secret(given, expected, what="token")


def test_generated_tokens_are_long_and_distinct() -> None:
    tokens = {generate_token() for _ in range(50)}
    assert len(tokens) == 50 and all(len(t) == 48 and t.isalnum() for t in tokens)
