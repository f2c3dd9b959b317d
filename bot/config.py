"""Settings: the only reader of the environment (and of `.env`)."""
from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from connectors import default_base_url, profile
from connectors.base import Marketplace

OFFICIAL_TELEGRAM_API = "https://api.telegram.org"


class Registration(StrEnum):
    INVITE = "invite"  # only through an admin's invite link (admins always)
    OPEN = "open"  # anyone who presses /start


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    BOT_TOKEN: SecretStr | None = None
    ADMIN_IDS: Annotated[list[int], NoDecode] = Field(default_factory=list)
    DATABASE_URL: str = "sqlite+aiosqlite:///data/bot.sqlite3"
    # Comma-separated Fernet keys; the first encrypts, all decrypt (rotation).
    ENCRYPTION_KEYS: SecretStr | None = None
    TELEGRAM_API_URL: str = OFFICIAL_TELEGRAM_API
    UZUM_API_URL: str = default_base_url(Marketplace.UZUM)
    YANDEX_API_URL: str = default_base_url(Marketplace.YANDEX)
    OZON_API_URL: str = default_base_url(Marketplace.OZON)
    # A template: `{category}` becomes content, marketplace, discounts-prices ...
    WILDBERRIES_API_URL: str = default_base_url(Marketplace.WILDBERRIES)
    REGISTRATION: Registration = Registration.INVITE
    LOG_LEVEL: str = "INFO"
    # Where the generated encryption key file and the SQLite database live.
    DATA_DIR: str = "data"
    # The webhook server (bot/web.py): Yandex Market API notifications and Ozon push. WEB_PORT=0: not started.
    WEB_HOST: str = "0.0.0.0"
    WEB_PORT: int = Field(default=8080, ge=0, le=65535)
    # Comma-separated CIDRs notifications may come from. Default: the ranges the marketplaces publish (each
    # connector's webhooks.NETWORKS).
    WEBHOOK_ALLOWED_NETWORKS: Annotated[list[str], NoDecode] = Field(default_factory=lambda: [
        network for marketplace in Marketplace for network in profile(marketplace).webhook_networks])
    # Behind our own HTTPS reverse proxy: take the sender from the left-most X-Forwarded-For entry.
    WEBHOOK_TRUST_FORWARDED: bool = False
    # Several replicas (README "Running several replicas"): dialog state, per-chat ordering, the polling lease,
    # the shared rate limits and the partner cache go through this Redis. Unset: one process, all in memory.
    REDIS_URL: str | None = None
    # Every key the bot writes in that Redis starts with this (one Redis may serve several bots or other things).
    REDIS_KEY_PREFIX: str = Field(default="scx", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    # Telegram webhook mode: the public HTTPS URL Telegram posts updates to (its path is served by the web
    # server on WEB_PORT). Unset: long polling (with REDIS_URL, one replica at a time polls).
    TELEGRAM_WEBHOOK_URL: str | None = None
    # How long a replica that died keeps what it had claimed before another takes it over: a scheduled job (renewed
    # every third of it while the job runs) and the alerts it was sending (renewed every round of the sender).
    # Shorter: faster takeover after a crash; never shorter than a stall of the event loop or the database.
    JOB_LEASE_SECONDS: int = Field(default=60, ge=3, le=3600)
    OUTBOX_LEASE_SECONDS: int = Field(default=120, ge=3, le=3600)
    # What Telegram sends back in X-Telegram-Bot-Api-Secret-Token (1-256 of A-Z a-z 0-9 _ -). Unset: derived from
    # BOT_TOKEN, so every replica agrees without another setting.
    TELEGRAM_WEBHOOK_SECRET: SecretStr | None = None

    @field_validator("WEBHOOK_ALLOWED_NETWORKS", mode="before")
    @classmethod
    def _split_networks(cls, value):
        import ipaddress

        if value is None:
            return []
        parts = value.split(",") if isinstance(value, str) else list(value)
        networks = []
        for part in (str(p).strip() for p in parts):
            if part:
                try:
                    networks.append(str(ipaddress.ip_network(part, strict=False)))
                except ValueError:
                    raise ValueError(f"not a CIDR: {part!r}") from None
        return networks

    @field_validator("TELEGRAM_WEBHOOK_URL")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        from urllib.parse import urlsplit

        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ValueError("TELEGRAM_WEBHOOK_URL must be a full URL, e.g. https://bot.example.com/telegram")
        return value.strip()

    @field_validator("TELEGRAM_WEBHOOK_SECRET")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        import re

        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("TELEGRAM_WEBHOOK_SECRET: 1-256 characters A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("REDIS_URL")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    def webhook_secret(self) -> str:
        """The secret token Telegram must send with each update: the setting, or one derived from BOT_TOKEN."""
        import hashlib

        if self.TELEGRAM_WEBHOOK_SECRET is not None:
            return self.TELEGRAM_WEBHOOK_SECRET.get_secret_value()
        token = self.BOT_TOKEN.get_secret_value() if self.BOT_TOKEN else ""
        return hashlib.sha256(f"sellercloudx-webhook:{token}".encode()).hexdigest()

    def webhook_path(self) -> str | None:
        from urllib.parse import urlsplit

        if self.TELEGRAM_WEBHOOK_URL is None:
            return None
        return urlsplit(self.TELEGRAM_WEBHOOK_URL).path or "/"

    @field_validator("ADMIN_IDS", mode="before")
    @classmethod
    def _split_ids(cls, value):
        if value is None or value == "":
            return []
        if isinstance(value, str):
            return [int(part) for part in value.replace(" ", "").split(",") if part]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("WILDBERRIES_API_URL")
    @classmethod
    def _wb_template(cls, value: str) -> str:
        if "{category}" not in value:
            raise ValueError("WILDBERRIES_API_URL must contain {category}, e.g. https://{category}-api.wildberries.ru")
        return value.rstrip("/")

    @field_validator("TELEGRAM_API_URL", "UZUM_API_URL", "YANDEX_API_URL", "OZON_API_URL")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def marketplace_urls(self) -> dict[Marketplace, str]:
        return {
            Marketplace.UZUM: self.UZUM_API_URL,
            Marketplace.YANDEX: self.YANDEX_API_URL,
            Marketplace.WILDBERRIES: self.WILDBERRIES_API_URL,
            Marketplace.OZON: self.OZON_API_URL,
        }
