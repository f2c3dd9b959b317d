"""Yandex Market: the client (`YandexClient`) and what the rest of the product knows about the marketplace
(`PROFILE`). The modules: see connectors/yandex/client.py."""
from __future__ import annotations

from connectors.base import CredentialField, Marketplace, MarketplaceProfile
from connectors.yandex import webhooks
from connectors.yandex.account import check_key
from connectors.yandex.client import YandexClient
from connectors.yandex.models import DEFAULT_CURRENCY

BASE_URL = "https://api.partner.market.yandex.ru"  # production; every path carries its version (/v1/..., /v2/...)

PROFILE = MarketplaceProfile(
    marketplace=Marketplace.YANDEX,
    base_url=BASE_URL,
    currency=DEFAULT_CURRENCY,
    credentials=(CredentialField.API_KEY,),
    client=YandexClient,
    check_key=check_key,
    webhooks=webhooks,
    docs_url="https://yandex.ru/dev/market/partner-api/doc/ru/",
)

__all__ = ["PROFILE", "YandexClient"]
