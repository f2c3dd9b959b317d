"""The Ozon connector: `OzonClient` and `PROFILE` (what the rest of the product needs to know about Ozon).

Modules: client (the class), account, catalog, stock, prices, orders, sales (one capability each), webhooks
(push notifications), errors (ErrorPolicy, reason codes), limits (every published limit and size), models
(the reply models)."""
from __future__ import annotations

from connectors.base import CredentialField, Marketplace, MarketplaceProfile
from connectors.ozon import webhooks
from connectors.ozon.account import check_key
from connectors.ozon.client import OzonClient
from connectors.ozon.models import OZON_CURRENCY

PROFILE = MarketplaceProfile(
    marketplace=Marketplace.OZON,
    base_url="https://api-seller.ozon.ru",
    currency=OZON_CURRENCY,
    credentials=(CredentialField.CLIENT_ID, CredentialField.API_KEY),
    client=OzonClient,
    check_key=check_key,
    webhooks=webhooks,
    docs_url="https://docs.ozon.ru/api/seller/",
)

__all__ = ["OzonClient", "PROFILE"]
