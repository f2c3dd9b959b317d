"""Marketplace connectors: one client per marketplace over one shared HTTP core.

`build_client()` is the only constructor services use; `base_url` comes from the admin-managed
`marketplace_api_configs.api_endpoint` (sandbox hosts, local stand-ins) and defaults to production.
"""
from __future__ import annotations

import httpx

from connectors.base import AccountContext, Credentials, Marketplace, MarketplaceClient
from connectors.clock import Clock

# Production base URLs. Wildberries is a template: `{category}` is the host's name before `-api`
# (content, marketplace, discounts-prices, statistics, seller-analytics, common, ...).
DEFAULT_BASE_URLS: dict[Marketplace, str] = {
    Marketplace.UZUM: "https://api-seller.uzum.uz/api/seller-openapi",
    Marketplace.YANDEX: "https://api.partner.market.yandex.ru",
    Marketplace.OZON: "https://api-seller.ozon.ru",
    Marketplace.WILDBERRIES: "https://{category}-api.wildberries.ru",
}


def build_client(
    marketplace: Marketplace | str,
    credentials: Credentials,
    *,
    base_url: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock | None = None,
    timeout: float = 15.0,
    account: AccountContext | None = None,
) -> MarketplaceClient:
    """A client for one integration. `transport` is for tests (e.g. the contract validator); the bot passes None.
    `account` says which shop / campaign / warehouse the client works on (None for a connection test)."""
    # Imported here so importing `connectors` stays cheap and free of cycles.
    from connectors.ozon.client import OzonClient
    from connectors.uzum.client import UzumClient
    from connectors.wildberries.client import WildberriesClient
    from connectors.yandex.client import YandexClient

    marketplace = Marketplace(marketplace)
    classes = {
        Marketplace.UZUM: UzumClient,
        Marketplace.YANDEX: YandexClient,
        Marketplace.WILDBERRIES: WildberriesClient,
        Marketplace.OZON: OzonClient,
    }
    return classes[marketplace](
        credentials,
        base_url=(base_url or DEFAULT_BASE_URLS[marketplace]).rstrip("/"),
        transport=transport,
        clock=clock,
        timeout=timeout,
        account=account,
    )
