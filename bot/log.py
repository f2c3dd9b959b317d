"""Logging with redaction: bot tokens, marketplace keys and anything that looks like one never reach a log."""
from __future__ import annotations

import logging
import re
import sys

from connectors.http import redact as redact_known
from connectors.http import register_secret

# Shapes of secrets: Telegram bot tokens, JWTs (Wildberries), Yandex Api-Keys / OAuth tokens, auth headers.
_PATTERNS = [
    re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}"),
    re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),
    re.compile(r"ACMA:[A-Za-z0-9:_-]+"),
    re.compile(r"\by0_[A-Za-z0-9_-]{10,}"),
    re.compile(r"(?i)(authorization|api-key|client-secret)(['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"),
]
REDACTED = "[REDACTED]"


def remember_secret(secret: str | None) -> None:
    """Keys read in this process (typed by partners, the bot token) join the connectors' registry, so an exact
    occurrence is redacted even when it has no recognisable shape."""
    register_secret(secret)


def redact(text: str) -> str:
    # Shapes first: a known short secret replaced inside a longer token would break the token's shape.
    for pattern in _PATTERNS:
        if pattern.groups >= 2:
            text = pattern.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)
        else:
            text = pattern.sub(REDACTED, text)
    return redact_known(text)


class RedactingFormatter(logging.Formatter):
    """Redacts the final text (message, arguments and traceback alike)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(level: str = "INFO", *, stream=None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # httpx logs full URLs at INFO; keys are never in URLs, but keep the noise down.
    for noisy in ("httpx", "httpcore", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
