"""What services need beyond a database session: the session factory, the credential vault and the connector factory.
Built once by the composition root (bot/runtime.py) and passed to the service functions that talk to a marketplace."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.vault import Vault
from services.connections import ConnectorFactory


@dataclass(frozen=True)
class Platform:
    sessionmaker: async_sessionmaker[AsyncSession]
    vault: Vault
    connectors: ConnectorFactory
