"""Marketplace integrations: test keys, save them encrypted, pick the shop/warehouse, re-test, pause, delete.

Every query is scoped by the partner: an integration id alone never reaches another partner's data.
Keys are tested before anything is stored; after a successful test the integration is kept as a `draft`
(keys already encrypted) until the partner picks a shop or warehouse, so no secret ever sits in FSM storage.
"""
from __future__ import annotations

import logging
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
from db.models import RUNNABLE, IntegrationStatus, JsonText, MarketplaceIntegration, Partner, now
from db.vault import Vault, key_hint
from services import audit, notifications
from services.catalog_sync import DriftPolicy
from services.jobs import JobKind, schedule
from services.stock import RULE_LIMITS, mark_integration_stock_dirty
from services.platform import Platform

log = logging.getLogger(__name__)

# Drafts older than this are abandoned connect flows; their encrypted keys are removed.
DRAFT_TTL_SECONDS = 24 * 3600


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


# ---------------------------------------------------------------------------- reading (always scoped by partner)

async def list_for_partner(session: AsyncSession, partner_id: str) -> list[MarketplaceIntegration]:
    rows = await session.scalars(
        select(MarketplaceIntegration)
        .where(MarketplaceIntegration.partner_id == partner_id, MarketplaceIntegration.status != IntegrationStatus.DRAFT)
        .order_by(MarketplaceIntegration.created_at, MarketplaceIntegration.id)
    )
    return list(rows)

async def find_by_shop(session: AsyncSession, marketplace: Marketplace, seller_id: str) -> list[str]:
    """Integrations a marketplace notification is about: the marketplace's shop id (Yandex campaignId, Ozon Client-Id)
    in seller_id; several partners may have connected the same shop. Only integrations whose jobs run."""
    rows = await session.scalars(select(MarketplaceIntegration.id).where(
        MarketplaceIntegration.marketplace == marketplace.value,
        MarketplaceIntegration.seller_id == seller_id,
        MarketplaceIntegration.status.in_(RUNNABLE)))
    return list(rows)


async def get(session: AsyncSession, partner_id: str, integration_id: str) -> MarketplaceIntegration | None:
    return await session.scalar(
        select(MarketplaceIntegration).where(
            MarketplaceIntegration.id == integration_id, MarketplaceIntegration.partner_id == partner_id
        )
    )

def credentials(platform: Platform, integration: MarketplaceIntegration) -> Credentials:
    return Credentials(
        api_key=platform.vault.decrypt(integration.api_key),
        client_id=platform.vault.decrypt(integration.api_secret) if integration.api_secret else None,
    )

# ---- connecting ----

async def test(platform: Platform, session: AsyncSession, marketplace: Marketplace,
               credentials: Credentials) -> ConnectionInfo:
    """Call the marketplace. Raises a ConnectorError subclass whose `.cause` names what is wrong (and logs why)."""
    try:
        return await platform.connectors.check(session, marketplace, credentials)
    except ConnectorError as error:
        log.warning("connection test failed: marketplace=%s %s", marketplace.value, error.summary())
        raise

async def create_draft(
    platform: Platform, session: AsyncSession, partner: Partner, marketplace: Marketplace, credentials: Credentials,
    info: ConnectionInfo,
) -> MarketplaceIntegration:
    integration = MarketplaceIntegration(partner_id=partner.id, marketplace=marketplace.value, status=IntegrationStatus.DRAFT)
    _store_keys(platform, integration, credentials)
    _apply_info(integration, info)
    if info.seller_id is not None:  # the account itself is what is connected (no shop to pick)
        integration.seller_id = info.seller_id
        integration.shop_name = info.account_name
    session.add(integration)
    if len(info.shops) == 1:  # nothing to pick
        await choose(session, integration, ChoiceKind.SHOP, info.shops[0].id)
    await session.flush()
    return integration

def pending_choice(integration: MarketplaceIntegration) -> PendingChoice | None:
    """What the partner still has to pick before the integration can be saved, if anything."""
    found = integration.discovered_data
    shops = _choices(found.get("shops", []))
    if shops and integration.seller_id is None:
        return PendingChoice(ChoiceKind.SHOP, shops)
    warehouses = _choices(found.get("warehouses", []))
    if len(warehouses) > 1 and not integration.warehouse_list:
        return PendingChoice(ChoiceKind.WAREHOUSE, warehouses)
    return None

async def choose(session: AsyncSession, integration: MarketplaceIntegration, kind: ChoiceKind,
                 option_id: str) -> bool:
    """Apply a pick from the offered options; False if the id was not offered (forged or stale button)."""
    pending = pending_choice(integration)
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

async def activate(session: AsyncSession, integration: MarketplaceIntegration, *, actor: int) -> None:
    """Draft → active. Raises AlreadyConnected if this partner already has this shop."""
    existing = await session.scalar(
        select(MarketplaceIntegration).where(
            MarketplaceIntegration.partner_id == integration.partner_id,
            MarketplaceIntegration.marketplace == integration.marketplace,
            MarketplaceIntegration.seller_id == integration.seller_id,
            MarketplaceIntegration.id != integration.id,
            MarketplaceIntegration.status != IntegrationStatus.DRAFT,
        )
    )
    if existing is not None:
        raise AlreadyConnected(existing)
    warehouses = _choices(integration.discovered_data.get("warehouses", []))
    if len(warehouses) == 1 and not integration.warehouse_list:
        integration.warehouse_ids = JsonText.dump([warehouses[0].id])
    integration.status = IntegrationStatus.ACTIVE
    integration.active = 1
    try:
        await session.flush()
    except IntegrityError:  # a concurrent connect of the same shop won the race
        await session.rollback()
        raise AlreadyConnected(integration) from None
    audit.record(session, "integration.created", actor=actor, partner_id=integration.partner_id,
                 object_type="integration", object_id=integration.id, marketplace=integration.marketplace)
    await schedule.ensure(session, integration.id)


async def purge_stale_drafts(session: AsyncSession) -> int:
    result = await session.execute(
        delete(MarketplaceIntegration).where(
            MarketplaceIntegration.status == IntegrationStatus.DRAFT,
            MarketplaceIntegration.created_at < now() - DRAFT_TTL_SECONDS,
        )
    )
    return result.rowcount or 0

# ---- an existing integration ----

async def replace_keys(
    platform: Platform, session: AsyncSession, integration: MarketplaceIntegration, credentials: Credentials,
    info: ConnectionInfo, *, actor: int,
) -> None:
    """Store tested new keys, if they belong to the same account (same shop / seller)."""
    if info.seller_id is not None:
        same = info.seller_id == integration.seller_id
    elif info.shops:
        same = any(shop.id == integration.seller_id for shop in info.shops)
    else:  # the marketplace said nothing to compare by
        same = True
    if not same:
        raise OtherAccount()
    _store_keys(platform, integration, credentials)
    _apply_info(integration, info)
    record_success(integration)
    audit.record(session, "integration.keys_replaced", actor=actor, partner_id=integration.partner_id,
                 object_type="integration", object_id=integration.id)

async def retest(platform: Platform, session: AsyncSession, integration: MarketplaceIntegration) -> ConnectorError | None:
    """Test the stored keys and record the outcome on the integration. Returns the error, if any."""
    try:
        info = await test(platform, session, Marketplace(integration.marketplace), credentials(platform, integration))
    except ConnectorError as error:
        integration.last_check_at = now()
        record_failure(integration, error)
        return error
    _apply_info(integration, info)
    record_success(integration)
    return None

async def client(platform: Platform, session: AsyncSession, integration: MarketplaceIntegration) -> MarketplaceClient:
    """A client for this integration's account and the shop / warehouse the partner picked."""
    return await platform.connectors.client(session, Marketplace(integration.marketplace),
                                            credentials(platform, integration), account=account_context(integration))

async def set_paused(session: AsyncSession, integration: MarketplaceIntegration, paused: bool, *,
                     actor: int) -> None:
    if paused:
        integration.status = IntegrationStatus.PAUSED
        integration.active = 0
    else:
        integration.status = IntegrationStatus.ERROR if integration.last_error else IntegrationStatus.ACTIVE
        integration.active = 1
    audit.record(session, "integration.paused" if paused else "integration.resumed", actor=actor,
                 partner_id=integration.partner_id, object_type="integration", object_id=integration.id)

async def remove(session: AsyncSession, integration: MarketplaceIntegration, *, actor: int) -> None:
    audit.record(session, "integration.deleted", actor=actor, partner_id=integration.partner_id,
                 object_type="integration", object_id=integration.id, marketplace=integration.marketplace)
    await session.delete(integration)

# ---- helpers ----

def _store_keys(platform: Platform, integration: MarketplaceIntegration, credentials: Credentials) -> None:
    integration.api_key = platform.vault.encrypt(credentials.api_key)
    integration.api_secret = platform.vault.encrypt(credentials.client_id) if credentials.client_id else None
    integration.key_hint = key_hint(credentials.api_key)

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


def record_failure(integration: MarketplaceIntegration, error: ConnectorError) -> None:
    """A call for this integration failed: remember why, count the streak, show it on the card."""
    if not integration.failure_streak or integration.failing_since is None:
        integration.failing_since = now()
    integration.last_error = error.cause.value
    integration.last_error_detail = (error.detail or "")[:300] or None
    integration.failure_streak += 1
    if integration.status == IntegrationStatus.ACTIVE:
        integration.status = IntegrationStatus.ERROR


def record_success(integration: MarketplaceIntegration) -> None:
    integration.last_error = None
    integration.last_error_detail = None
    integration.failure_streak = 0
    integration.failing_since = None
    integration.failure_alerted = 0
    if integration.status == IntegrationStatus.ERROR:
        integration.status = IntegrationStatus.ACTIVE


async def job_failed(session: AsyncSession, integration: MarketplaceIntegration, error: ConnectorError,
                     job: str) -> None:
    """A background job failed: the streak is recorded, and the partner told once per streak."""
    record_failure(integration, error)
    await notifications.failure(session, integration, job)


async def job_succeeded(session: AsyncSession, integration: MarketplaceIntegration) -> None:
    """A background job worked: if a failure was reported, one recovery message."""
    alerted, since = integration.failure_alerted, integration.failing_since
    record_success(integration)
    if alerted:
        await notifications.recovery(session, integration, since)


def account_context(integration: MarketplaceIntegration) -> AccountContext:
    """Everything the partner picked or the connection test discovered; each connector takes what it needs."""
    warehouses = integration.warehouse_list
    return AccountContext(shop_id=integration.seller_id, business_id=integration.business_id,
                          warehouse_id=warehouses[0] if warehouses else None)


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
            MarketplaceIntegration.status == IntegrationStatus.DRAFT,
        )
    )


def days_left(expires_at: int | None) -> int | None:
    if expires_at is None:
        return None
    return max(0, int((expires_at - time.time()) // 86400))


async def rotate_keys(session: AsyncSession, vault: Vault) -> int:
    """Re-encrypt every stored credential with the vault's first key (`python -m bot rotate-keys`); how many."""
    count = 0
    for integration in await session.scalars(select(MarketplaceIntegration)):
        if integration.api_key:
            integration.api_key = vault.rotate(integration.api_key)
            count += 1
        if integration.api_secret:
            integration.api_secret = vault.rotate(integration.api_secret)
            count += 1
    return count


# ---- an integration's settings (each change is audited) ----

def toggle_drift_policy(session: AsyncSession, integration: MarketplaceIntegration, *, actor: int) -> str:
    """Push the platform's value back (default) or adopt the marketplace's: the other one; returns it."""
    settings = settings_of(integration)
    current = settings.get("drift_policy", DriftPolicy.PUSH_BACK)
    settings["drift_policy"] = DriftPolicy.ADOPT if current == DriftPolicy.PUSH_BACK else DriftPolicy.PUSH_BACK
    integration.settings = JsonText.dump(settings)
    audit.record(session, "integration.drift_policy", actor=actor, partner_id=integration.partner_id,
                 object_type="integration", object_id=integration.id, policy=settings["drift_policy"])
    return settings["drift_policy"]


async def set_stock_rule(session: AsyncSession, integration: MarketplaceIntegration, rule: str, value: int | None,
                         *, actor: int) -> None:
    """One stock rule (services.stock.RULE_LIMITS; None clears the maximum); every listing is pushed again under it.
    ValueError for an unknown rule or a value out of its range."""
    if rule not in RULE_LIMITS or (value is None and rule != "max_quantity"):
        raise ValueError(rule)
    low, high = RULE_LIMITS[rule]
    if value is not None and not low <= value <= high:
        raise ValueError(value)
    settings = settings_of(integration)
    settings[rule] = value
    integration.settings = JsonText.dump(settings)
    await mark_integration_stock_dirty(session, integration.id)
    audit.record(session, "integration.stock_rule", actor=actor, partner_id=integration.partner_id,
                 object_type="integration", object_id=integration.id, rule=rule, value=value)


async def set_order_poll_interval(session: AsyncSession, integration: MarketplaceIntegration, seconds: int, *,
                                  actor: int) -> None:
    """How often its orders are polled (one of schedule.ORDER_INTERVALS; ValueError otherwise)."""
    if seconds not in schedule.ORDER_INTERVALS:
        raise ValueError(seconds)
    await schedule.set_interval(session, integration.id, JobKind.ORDERS, seconds)
    audit.record(session, "integration.order_poll_interval", actor=actor, partner_id=integration.partner_id,
                 object_type="integration", object_id=integration.id, seconds=seconds)


async def run_soon(session: AsyncSession, integration: MarketplaceIntegration, kind: JobKind) -> None:
    """"Retry now": the job is due at once (the runner's next tick starts it)."""
    await schedule.run_now(session, integration.id, kind)
