"""Marketplace integrations: test keys, save them encrypted, pick the shop/warehouse, re-test, pause, delete.

Every query is scoped by the partner: an integration id alone never reaches another partner's data.
Keys are tested before anything is stored; after a successful test the integration is kept as a `draft`
(keys already encrypted) until the partner picks a shop or warehouse, so no secret ever sits in FSM storage.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import (
    AccountContext,
    Choice,
    ConnectionInfo,
    ConnectorError,
    Credentials,
    Marketplace,
    MarketplaceClient,
)
from db.models import JsonText, MarketplaceIntegration, Partner, now
from db.vault import Vault, key_hint
from services import alerts, audit, schedules
from services.connections import ConnectorFactory

# Drafts older than this are abandoned connect flows; their encrypted keys are removed.
DRAFT_TTL_SECONDS = 24 * 3600


class Status(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    ERROR = "error"


class ChoiceKind(StrEnum):
    SHOP = "shop"  # Uzum shop, Yandex campaign
    WAREHOUSE = "warehouse"  # WB / Ozon warehouse used for stock


class AlreadyConnected(Exception):
    def __init__(self, existing: MarketplaceIntegration):
        super().__init__("already connected")
        self.existing = existing


class OtherAccount(Exception):
    """New keys for an integration belong to a different marketplace account."""


@dataclass(frozen=True)
class PendingChoice:
    kind: ChoiceKind
    options: list[Choice]


def _choice_to_dict(choice: Choice) -> dict:
    return {"id": choice.id, "name": choice.name, "extra": choice.extra}


def _choices(data: list[dict]) -> list[Choice]:
    return [Choice(id=str(c["id"]), name=c.get("name") or str(c["id"]), extra=c.get("extra") or {}) for c in data]


class IntegrationService:
    def __init__(self, vault: Vault, connectors: ConnectorFactory):
        self.vault = vault
        self.connectors = connectors

    # ---- reading (always scoped by partner) ----

    async def list_for_partner(self, session: AsyncSession, partner_id: str) -> list[MarketplaceIntegration]:
        rows = await session.scalars(
            select(MarketplaceIntegration)
            .where(MarketplaceIntegration.partner_id == partner_id, MarketplaceIntegration.status != Status.DRAFT)
            .order_by(MarketplaceIntegration.created_at, MarketplaceIntegration.id)
        )
        return list(rows)

    async def get(self, session: AsyncSession, partner_id: str, integration_id: str) -> MarketplaceIntegration | None:
        return await session.scalar(
            select(MarketplaceIntegration).where(
                MarketplaceIntegration.id == integration_id, MarketplaceIntegration.partner_id == partner_id
            )
        )

    def credentials(self, integration: MarketplaceIntegration) -> Credentials:
        return Credentials(
            api_key=self.vault.decrypt(integration.api_key),
            client_id=self.vault.decrypt(integration.api_secret) if integration.api_secret else None,
        )

    # ---- connecting ----

    async def test(self, session: AsyncSession, marketplace: Marketplace, credentials: Credentials) -> ConnectionInfo:
        """Call the marketplace. Raises a ConnectorError subclass whose `.cause` names what is wrong."""
        return await self.connectors.check(session, marketplace, credentials)

    async def create_draft(
        self, session: AsyncSession, partner: Partner, marketplace: Marketplace, credentials: Credentials,
        info: ConnectionInfo,
    ) -> MarketplaceIntegration:
        integration = MarketplaceIntegration(partner_id=partner.id, marketplace=marketplace.value, status=Status.DRAFT)
        self._store_keys(integration, credentials)
        self._apply_info(integration, info)
        if marketplace in (Marketplace.WILDBERRIES, Marketplace.OZON):
            integration.seller_id = credentials.client_id if marketplace is Marketplace.OZON else info.account_id
            integration.shop_name = info.account_name
        session.add(integration)
        if len(info.shops) == 1:  # nothing to pick
            await self.choose(session, integration, ChoiceKind.SHOP, info.shops[0].id)
        await session.flush()
        return integration

    def pending_choice(self, integration: MarketplaceIntegration) -> PendingChoice | None:
        """What the partner still has to pick before the integration can be saved, if anything."""
        found = integration.discovered_data
        shops = _choices(found.get("shops", []))
        if shops and integration.seller_id is None:
            return PendingChoice(ChoiceKind.SHOP, shops)
        warehouses = _choices(found.get("warehouses", []))
        if len(warehouses) > 1 and not integration.warehouse_list:
            return PendingChoice(ChoiceKind.WAREHOUSE, warehouses)
        return None

    async def choose(self, session: AsyncSession, integration: MarketplaceIntegration, kind: ChoiceKind,
                     option_id: str) -> bool:
        """Apply a pick from the offered options; False if the id was not offered (forged or stale button)."""
        pending = self.pending_choice(integration)
        if pending is None or pending.kind != kind:
            return False
        option = next((o for o in pending.options if o.id == option_id), None)
        if option is None:
            return False
        if kind is ChoiceKind.SHOP:
            integration.seller_id = option.id
            integration.shop_name = option.name
            if business_id := option.extra.get("business_id"):
                integration.business_id = str(business_id)
        else:
            integration.warehouse_ids = JsonText.dump([option.id])
        return True

    async def activate(self, session: AsyncSession, integration: MarketplaceIntegration, *, actor: int) -> None:
        """Draft → active. Raises AlreadyConnected if this partner already has this shop."""
        existing = await session.scalar(
            select(MarketplaceIntegration).where(
                MarketplaceIntegration.partner_id == integration.partner_id,
                MarketplaceIntegration.marketplace == integration.marketplace,
                MarketplaceIntegration.seller_id == integration.seller_id,
                MarketplaceIntegration.id != integration.id,
                MarketplaceIntegration.status != Status.DRAFT,
            )
        )
        if existing is not None:
            raise AlreadyConnected(existing)
        warehouses = _choices(integration.discovered_data.get("warehouses", []))
        if len(warehouses) == 1 and not integration.warehouse_list:
            integration.warehouse_ids = JsonText.dump([warehouses[0].id])
        integration.status = Status.ACTIVE
        integration.active = 1
        try:
            await session.flush()
        except IntegrityError:  # a concurrent connect of the same shop won the race
            await session.rollback()
            raise AlreadyConnected(integration) from None
        audit.record(session, "integration.created", actor=actor, partner_id=integration.partner_id,
                     object_type="integration", object_id=integration.id, marketplace=integration.marketplace)
        await schedules.ensure(session, integration.id)

    async def discard_draft(self, session: AsyncSession, partner_id: str, integration_id: str) -> None:
        await discard_draft(session, partner_id, integration_id)

    async def purge_stale_drafts(self, session: AsyncSession) -> int:
        result = await session.execute(
            delete(MarketplaceIntegration).where(
                MarketplaceIntegration.status == Status.DRAFT,
                MarketplaceIntegration.created_at < now() - DRAFT_TTL_SECONDS,
            )
        )
        return result.rowcount or 0

    # ---- an existing integration ----

    async def replace_keys(
        self, session: AsyncSession, integration: MarketplaceIntegration, credentials: Credentials,
        info: ConnectionInfo, *, actor: int,
    ) -> None:
        """Store tested new keys, if they belong to the same account (same shop / seller)."""
        marketplace = Marketplace(integration.marketplace)
        if marketplace is Marketplace.OZON:
            same = credentials.client_id == integration.seller_id
        elif marketplace is Marketplace.WILDBERRIES:
            same = info.account_id is None or info.account_id == integration.seller_id
        else:
            same = any(shop.id == integration.seller_id for shop in info.shops)
        if not same:
            raise OtherAccount()
        self._store_keys(integration, credentials)
        self._apply_info(integration, info)
        self._mark_ok(integration)
        audit.record(session, "integration.keys_replaced", actor=actor, partner_id=integration.partner_id,
                     object_type="integration", object_id=integration.id)

    async def retest(self, session: AsyncSession, integration: MarketplaceIntegration) -> ConnectorError | None:
        """Test the stored keys and record the outcome on the integration. Returns the error, if any."""
        try:
            info = await self.test(session, Marketplace(integration.marketplace), self.credentials(integration))
        except ConnectorError as error:
            integration.last_check_at = now()
            record_failure(integration, error)
            return error
        self._apply_info(integration, info)
        self._mark_ok(integration)
        return None

    async def client(self, session: AsyncSession, integration: MarketplaceIntegration) -> MarketplaceClient:
        """A client for this integration's account and the shop / warehouse the partner picked."""
        return await self.connectors.client(session, Marketplace(integration.marketplace),
                                            self.credentials(integration), account=account_context(integration))

    async def set_paused(self, session: AsyncSession, integration: MarketplaceIntegration, paused: bool, *,
                         actor: int) -> None:
        if paused:
            integration.status = Status.PAUSED
            integration.active = 0
        else:
            integration.status = Status.ERROR if integration.last_error else Status.ACTIVE
            integration.active = 1
        audit.record(session, "integration.paused" if paused else "integration.resumed", actor=actor,
                     partner_id=integration.partner_id, object_type="integration", object_id=integration.id)

    async def delete(self, session: AsyncSession, integration: MarketplaceIntegration, *, actor: int) -> None:
        audit.record(session, "integration.deleted", actor=actor, partner_id=integration.partner_id,
                     object_type="integration", object_id=integration.id, marketplace=integration.marketplace)
        await session.delete(integration)

    # ---- helpers ----

    def _store_keys(self, integration: MarketplaceIntegration, credentials: Credentials) -> None:
        integration.api_key = self.vault.encrypt(credentials.api_key)
        integration.api_secret = self.vault.encrypt(credentials.client_id) if credentials.client_id else None
        integration.key_hint = key_hint(credentials.api_key)

    @staticmethod
    def _apply_info(integration: MarketplaceIntegration, info: ConnectionInfo) -> None:
        integration.account_name = info.account_name
        integration.token_type = info.token_type
        integration.token_expires_at = info.expires_at
        integration.last_check_at = now()
        integration.discovered = JsonText.dump({
            "account_id": info.account_id,
            "shops": [_choice_to_dict(c) for c in info.shops],
            "warehouses": [_choice_to_dict(c) for c in info.warehouses],
            "scopes": list(info.scopes),
            "warnings": [str(w) for w in info.warnings],
            "extra": _jsonable(info.extra),
        })

    @staticmethod
    def _mark_ok(integration: MarketplaceIntegration) -> None:
        record_success(integration)


def record_failure(integration: MarketplaceIntegration, error: ConnectorError) -> None:
    """A call for this integration failed: remember why, count the streak, show it on the card."""
    if not integration.failure_streak or integration.failing_since is None:
        integration.failing_since = now()
    integration.last_error = error.cause.value
    integration.last_error_detail = (error.detail or "")[:300] or None
    integration.failure_streak += 1
    if integration.status == Status.ACTIVE:
        integration.status = Status.ERROR


def record_success(integration: MarketplaceIntegration) -> None:
    integration.last_error = None
    integration.last_error_detail = None
    integration.failure_streak = 0
    integration.failing_since = None
    integration.failure_alerted = 0
    if integration.status == Status.ERROR:
        integration.status = Status.ACTIVE


async def job_failed(session: AsyncSession, integration: MarketplaceIntegration, error: ConnectorError,
                     job: str) -> None:
    """A background job failed: the streak is recorded, and the partner told once per streak."""
    record_failure(integration, error)
    await alerts.failure(session, integration, job)


async def job_succeeded(session: AsyncSession, integration: MarketplaceIntegration) -> None:
    """A background job worked: if a failure was reported, one recovery message."""
    alerted, since = integration.failure_alerted, integration.failing_since
    record_success(integration)
    if alerted:
        await alerts.recovery(session, integration, since)


def account_context(integration: MarketplaceIntegration) -> AccountContext:
    marketplace = Marketplace(integration.marketplace)
    warehouses = integration.warehouse_list
    if marketplace in (Marketplace.UZUM, Marketplace.YANDEX):
        return AccountContext(shop_id=integration.seller_id, business_id=integration.business_id)
    return AccountContext(warehouse_id=warehouses[0] if warehouses else None)


def settings_of(integration: MarketplaceIntegration) -> dict:
    return JsonText.load(integration.settings, {})


def _jsonable(value):
    """Keep only JSON-friendly scalars/containers from a connector's `extra` (it never holds secrets)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


async def discard_draft(session: AsyncSession, partner_id: str, integration_id: str) -> None:
    """Drop an unfinished connect flow's draft (its encrypted keys go with it)."""
    await session.execute(
        delete(MarketplaceIntegration).where(
            MarketplaceIntegration.id == integration_id,
            MarketplaceIntegration.partner_id == partner_id,
            MarketplaceIntegration.status == Status.DRAFT,
        )
    )


def days_left(expires_at: int | None) -> int | None:
    if expires_at is None:
        return None
    return max(0, int((expires_at - time.time()) // 86400))
