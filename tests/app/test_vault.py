from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from app.vault import MASK, Redactor, Vault, VaultError, generate_key, redact


def test_round_trip_returns_the_same_dict_and_no_plaintext_in_token() -> None:
    vault = Vault(generate_key())
    token = vault.encrypt_json({"api_key": "sk_live_abc123", "n": 1})
    assert "sk_live_abc123" not in token
    assert vault.decrypt_json(token, "connection 'x'") == {"api_key": "sk_live_abc123", "n": 1}


def test_newest_key_encrypts_and_old_key_still_decrypts_after_rotation() -> None:
    old, new = generate_key(), generate_key()
    token_old = Vault(old).encrypt_json({"secret": "s3cr3t"})
    rotated_vault = Vault(f"{new}, {old}")
    assert rotated_vault.decrypt_json(token_old, "connection 'a'") == {"secret": "s3cr3t"}
    rotated = rotated_vault.rotate(token_old)
    Fernet(new.encode()).decrypt(rotated.encode())  # the newest key alone reads it now
    assert Vault(new).decrypt_json(rotated, "connection 'a'") == {"secret": "s3cr3t"}
    assert Vault(new).decrypt_json(rotated_vault.encrypt_json({"k": "v"}), "c") == {"k": "v"}


def test_wrong_key_raises_vault_error_naming_the_connection() -> None:
    token = Vault(generate_key()).encrypt_json({"api_key": "x"})
    with pytest.raises(VaultError) as info:
        Vault(generate_key()).decrypt_json(token, "connection 'Asaas produção'")
    message = str(info.value)
    assert "connection 'Asaas produção'" in message
    assert "PONTE_VAULT_KEYS" in message


def test_garbage_token_is_a_vault_error_not_garbage() -> None:
    with pytest.raises(VaultError):
        Vault(generate_key()).decrypt_json("not-a-token", "connection 'x'")


def test_rotating_a_token_no_key_reads_is_a_vault_error() -> None:
    token = Vault(generate_key()).encrypt_json({"a": "b"})
    with pytest.raises(VaultError):
        Vault(generate_key()).rotate(token)


@pytest.mark.parametrize("keys", ["", " , ", "not-a-fernet-key"])
def test_empty_or_malformed_keys_are_refused_with_advice(keys: str) -> None:
    with pytest.raises(VaultError, match="PONTE_VAULT_KEYS"):
        Vault(keys)


def test_redact_masks_secret_named_fields_at_any_depth() -> None:
    data = {"api_key": "abc", "nested": [{"password": "pw", "user": "ana"}], "environment": "sandbox"}
    assert redact(data) == {
        "api_key": MASK, "nested": [{"password": MASK, "user": "ana"}], "environment": "sandbox"
    }
    assert redact({"custom": "v"}, secret_keys={"custom"}) == {"custom": MASK}


def test_redactor_replaces_known_values_and_bearer_tokens_in_text() -> None:
    redactor = Redactor()
    redactor.add("hunter2-secret", "ab")  # too short values are ignored
    text = redactor.text("login with hunter2-secret; header Bearer abcdef123456; ab stays; token=xyz987")
    assert "hunter2-secret" not in text
    assert "abcdef123456" not in text
    assert "xyz987" not in text
    assert "ab stays" in text
    assert redactor({"msg": ["hunter2-secret"]}) == {"msg": [MASK]}
