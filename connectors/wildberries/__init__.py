"""Wildberries: the client and what the rest of the product needs to know about the marketplace (PROFILE).

Modules (the same names in every connector package): client (the class), account (token, key format,
connection, warehouses), catalog, stock, prices, orders (with the actions and supplies; the status -> state /
actions table), sales, models (reply shapes), limits (every published limit and batch size), errors.
"""
from __future__ import annotations

from decimal import Decimal

from connectors.base import CredentialField, Marketplace, MarketplaceProfile
from connectors.wildberries.account import check_key
from connectors.wildberries.client import WildberriesClient
from connectors.wildberries.models import WB_CURRENCY

__all__ = ["PROFILE", "WildberriesClient"]

PROFILE = MarketplaceProfile(
    marketplace=Marketplace.WILDBERRIES,
    # One host per API category: `{category}` is the host's name before `-api` (content, marketplace,
    # discounts-prices, statistics, seller-analytics, common, ...).
    base_url="https://{category}-api.wildberries.ru",
    currency=WB_CURRENCY,
    credentials=(CredentialField.API_KEY,),
    client=WildberriesClient,
    check_key=check_key,
    docs_url="https://dev.wildberries.ru/",
    # A new price at or below a third of the old one goes to "price quarantine" (02-products.yaml Goods).
    price_quarantine_share=Decimal(1) / 3,
)
