"""Format checks for what a partner types when connecting, before anything is sent to a marketplace.
Each returns None when the value looks right, or the id of a text that says what is wrong."""
from __future__ import annotations

import base64
import json
import re

from connectors import profile
from connectors.base import Marketplace

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MAX_KEY_LENGTH = 4096


def normalize(text: str) -> str:
    """Partners paste keys with stray spaces, quotes or a `Bearer ` prefix copied from docs."""
    value = text.strip().strip("\"'`").strip()
    if value.lower().startswith("bearer "):
        value = value[7:].strip()
    return value


def check_client_id(text: str) -> str | None:
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 20 or int(value) == 0:
        return "format-ozon-client-id"
    return None


def _jwt_payload(token: str) -> dict | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


def check_api_key(marketplace: Marketplace, text: str) -> str | None:
    """The marketplace's own format check (its connector's profile) of what the partner typed, cleaned first."""
    return profile(marketplace).check_key(normalize(text))


def looks_like_secret(text: str) -> bool:
    """Used to delete a key pasted outside the connect flow, so it does not stay in the chat."""
    value = normalize(text)
    if any(ch.isspace() for ch in value) or len(value) < 20:
        return False
    return bool(_jwt_payload(value) or _UUID.match(value) or value.startswith("ACMA:") or value.startswith("y0_"))
