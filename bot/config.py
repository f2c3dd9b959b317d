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
