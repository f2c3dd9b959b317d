"""Builds marketplace clients with the right base URL: an admin's override in marketplace_api_configs wins
over the *_API_URL setting."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from connectors import build_client
from connectors.base import AccountContext, ConnectionInfo, Credentials, Marketplace, MarketplaceClient
from connectors.clock import Clock
from db.models import MarketplaceApiConfig

TransportFactory = Callable[[Marketplace], httpx.AsyncBaseTransport]


@dataclass
class ConnectorFactory:
    env_urls: dict[Marketplace, str]
    # Tests wrap every call in the contract validator; production passes None (httpx's own transport).
    transport_for: TransportFactory | None = None
    # The connectors' clock (pacing waits): benchmarks pass a sped-up one to match the sandbox's time_scale.
    clock: Clock | None = None

    async def base_url(self, session: AsyncSession, marketplace: Marketplace) -> str:
        config = await session.scalar(
            select(MarketplaceApiConfig).where(MarketplaceApiConfig.marketplace == marketplace.value)
        )
        if config is not None and config.is_override:
            return config.api_endpoint
        return self.env_urls[marketplace]

    async def client(self, session: AsyncSession, marketplace: Marketplace, credentials: Credentials, *,
                     account: AccountContext | None = None) -> MarketplaceClient:
        transport = self.transport_for(marketplace) if self.transport_for else None
        return build_client(marketplace, credentials, base_url=await self.base_url(session, marketplace),
                            transport=transport, account=account, clock=self.clock)

    async def check(self, session: AsyncSession, marketplace: Marketplace, credentials: Credentials) -> ConnectionInfo:
        client = await self.client(session, marketplace, credentials)
        try:
            return await client.check_connection()
        finally:
            await client.aclose()
