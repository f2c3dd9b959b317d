import os
import stat

import pytest
from cryptography.fernet import Fernet

from db.vault import Vault, VaultError, load_keys, mask


def test_encrypts_and_decrypts_without_plaintext():
    vault = Vault([Fernet.generate_key().decode()])
    token = vault.encrypt("my-secret-api-key-1234")
    assert "my-secret" not in token
    assert vault.decrypt(token) == "my-secret-api-key-1234"


def test_rotation_reencrypts_with_first_key_and_old_key_can_go():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = Vault([old]).encrypt("ozon-key")
    both = Vault([new, old])
    rotated = both.rotate(stored)
    assert Vault([new]).decrypt(rotated) == "ozon-key"
    with pytest.raises(VaultError) as error:
        Vault([new]).decrypt(stored)
    assert "ozon-key" not in str(error.value)


def test_mask_shows_only_last_four():
    assert mask("abcdefghijkla1b2") == "••••a1b2"
    assert mask("short") == "••••"
    assert mask(None) == "••••"


def test_generated_key_file_is_private_and_reused(tmp_path, caplog):
    keys = load_keys(None, tmp_path)
    path = tmp_path / "encryption.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "ENCRYPTION_KEYS is not set" in caplog.text
    assert load_keys(None, tmp_path) == keys
    assert load_keys(" ", tmp_path) == keys


def test_configured_keys_win_and_bad_key_fails_fast(tmp_path):
    a, b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    assert load_keys(f"{a}, {b}", tmp_path) == [a, b]
    assert not (tmp_path / "encryption.key").exists()
    with pytest.raises(ValueError):
        load_keys("not-a-fernet-key", tmp_path)
