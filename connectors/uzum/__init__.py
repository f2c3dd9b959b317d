"""Uzum Market: the client and the marketplace's profile.

Modules: client (UzumClient), errors (ErrorPolicy, error items, per-item results), limits (every number),
models (reply models and wire formats), account (token, connection, shops), catalog, stock, prices, orders
(statuses -> state / actions, cancel reasons, the cursor), sales. Uzum sends no push notifications.
"""
from __future__ import annotations

from connectors.base import CredentialField, Marketplace, MarketplaceProfile
from connectors.uzum.account import check_key
from connectors.uzum.client import UzumClient
from connectors.uzum.models import UZUM_CURRENCY

PROFILE = MarketplaceProfile(
    marketplace=Marketplace.UZUM,
    base_url="https://api-seller.uzum.uz/api/seller-openapi",
    currency=UZUM_CURRENCY,
    credentials=(CredentialField.API_KEY,),
    client=UzumClient,
    check_key=check_key,
    docs_url="https://api-seller.uzum.uz/api/seller-openapi/swagger/swagger-ui/",  # the live Swagger UI (no published spec file)
)

__all__ = ["PROFILE", "UzumClient"]
