"""The credential vault: Fernet encryption at rest, with key rotation (MultiFernet)."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger(__name__)

KEY_FILE_NAME = "encryption.key"
MASK = "••••"


class VaultError(Exception):
    """A stored secret cannot be decrypted with any configured key (the text never holds the secret)."""


class Vault:
    def __init__(self, keys: list[str]):
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise VaultError("stored credential cannot be decrypted with the configured ENCRYPTION_KEYS") from None

    def rotate(self, token: str) -> str:
        """Re-encrypt with the first (current) key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise VaultError("stored credential cannot be decrypted with the configured ENCRYPTION_KEYS") from None


def mask(secret: str | None, visible: int = 4) -> str:
    """`••••a1b2`: never more than the last four characters, and nothing for short secrets."""
    if not secret:
        return MASK
    if len(secret) < 12:
        return MASK
    return MASK + secret[-visible:]


def key_hint(secret: str) -> str | None:
    """What we keep in plaintext to show the masked key later: the last four characters of long keys only."""
    return secret[-4:] if len(secret) >= 12 else None


def masked_from_hint(hint: str | None) -> str:
    return MASK + (hint or "")


def load_keys(configured: str | None, data_dir: str | os.PathLike) -> list[str]:
    """Keys from ENCRYPTION_KEYS; if unset, from data/encryption.key, generated (mode 0600) on first run."""
    if configured and configured.strip():
        keys = [k.strip() for k in configured.split(",") if k.strip()]
        for k in keys:
            Fernet(k.encode())  # fail fast with a clear error on a malformed key
        return keys
    path = Path(data_dir) / KEY_FILE_NAME
    if path.exists():
        return [path.read_text().strip()]
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    log.warning(
        "!!! ENCRYPTION_KEYS is not set: generated a new encryption key in %s (mode 0600). "
        "Back it up and move it into ENCRYPTION_KEYS: without it every stored marketplace key is lost. !!!",
        path,
    )
    return [key]
