"""parse_json: strict JSON for bytes from outside — no NaN/Infinity, no nesting that breaks a stack."""

from __future__ import annotations

import pytest

from connectors.sdk import parse_json
from connectors.sdk.strictjson import MAX_DEPTH


def test_ordinary_json_is_decoded_as_json_loads_would() -> None:
    assert parse_json(b'{"a": [1, 2.5, -3e2, true, null, "x"]}') == {"a": [1, 2.5, -300.0, True, None, "x"]}
    assert parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", '{"v": NaN}', "[1e999]", "-1e400"])
def test_numbers_postgresql_cannot_store_are_refused_with_the_reason(text: str) -> None:
    with pytest.raises(ValueError, match="NaN or infinite|too large"):
        parse_json(text)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 900, 100_000])
def test_nesting_beyond_the_limit_is_a_value_error_not_a_recursion_error(depth: int) -> None:
    with pytest.raises(ValueError, match=f"nested more than {MAX_DEPTH} levels"):
        parse_json('{"a": ' * depth + "1" + "}" * depth)
    with pytest.raises(ValueError, match="nested more than"):
        parse_json(b"[" * depth + b"]" * depth)


@pytest.mark.parametrize("data", [b"", b"{not json", b"\xff\xfe\xfa", b'{"a": 1} trailing'])
def test_malformed_input_is_still_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        parse_json(data)
