"""Marketplace connectors: one package per marketplace (connectors/<marketplace>/, the same module names in each)
over one shared HTTP core (connectors/http.py) and pacing (connectors/pacing.py).

What the rest of the product may use: `profile(marketplace)` (what it needs to know about a marketplace without
speaking its language) and `build_client()` (the only constructor services use). `base_url` comes from the
admin-managed `marketplace_api_configs.api_endpoint` (sandbox hosts, local stand-ins) and defaults to production.
"""
from __future__ import annotations

import functools

import httpx

from connectors.base import (
    AccountContext,
    Credentials,
    Marketplace,
    MarketplaceClient,
    MarketplaceProfile,
)
from connectors.clock import Clock


@functools.cache
def profiles() -> dict[Marketplace, MarketplaceProfile]:
    # Imported on first use, so importing `connectors` (for its types) stays cheap.
    from connectors import ozon, uzum, wildberries, yandex

    return {package.PROFILE.marketplace: package.PROFILE for package in (uzum, yandex, wildberries, ozon)}


def profile(marketplace: Marketplace | str) -> MarketplaceProfile:
    return profiles()[Marketplace(marketplace)]


def default_base_url(marketplace: Marketplace | str) -> str:
    """Production; Wildberries' is a template: `{category}` is the host's name before `-api`."""
    return profile(marketplace).base_url


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
    chosen = profile(marketplace)
    return chosen.client(
        credentials,
        base_url=(base_url or chosen.base_url).rstrip("/"),
        transport=transport,
        clock=clock,
        timeout=timeout,
        account=account,
    )
