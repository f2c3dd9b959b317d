"""Which facts become alerts, and with what: a failure streak (once per streak) and its recovery, keys about to expire.
Order and stock facts are queued by services/orders.py. Each goes into the outbox (services/outbox/store.py) in the
transaction of the fact it reports."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import IntegrationStatus, MarketplaceIntegration, Partner, now
from services.outbox.records import AlertKind
from services.outbox.store import enqueue


# A blip (one failed poll, retried at the next) is not worth a message: a streak of this many is.
FAILURE_ALERT_AFTER = 3
EXPIRY_WARN_DAYS = (7, 3, 1)


# ---- the facts ----

def integration_payload(integration: MarketplaceIntegration) -> dict:
    return {"integration_id": integration.id, "marketplace": integration.marketplace,
            "shop": integration.shop_name or integration.account_name or integration.seller_id or ""}


async def failure(session: AsyncSession, integration: MarketplaceIntegration, job: str) -> None:
    """Once per failure streak, when it reaches FAILURE_ALERT_AFTER failures in a row (with a retry button)."""
    if integration.failure_alerted or integration.status == IntegrationStatus.PAUSED or \
            integration.failure_streak < FAILURE_ALERT_AFTER:
        return
    partner = await session.get(Partner, integration.partner_id)
    integration.failure_alerted = 1
    await enqueue(session, partner, AlertKind.SYNC_FAILED, f"fail:{integration.id}:{integration.failing_since}",
                  {**integration_payload(integration), "job": job, "cause": integration.last_error,
                   "detail": integration.last_error_detail})


async def recovery(session: AsyncSession, integration: MarketplaceIntegration, failing_since: int | None) -> None:
    """One message when a reported failure streak ends."""
    partner = await session.get(Partner, integration.partner_id)
    await enqueue(session, partner, AlertKind.RECOVERED, f"recover:{integration.id}:{failing_since}",
                  integration_payload(integration))


async def key_expiring(session: AsyncSession, integration: MarketplaceIntegration, days: int) -> None:
    partner = await session.get(Partner, integration.partner_id)
    await enqueue(session, partner, AlertKind.KEY_EXPIRING,
                  f"expiry:{integration.id}:{integration.token_expires_at}:{days}",
                  {**integration_payload(integration), "days": days, "expires_at": integration.token_expires_at})


async def expiring_keys(session: AsyncSession) -> int:
    """The daily check: 7, 3 and 1 days before a key stops working (Wildberries 180 days, Ozon 6 months)."""
    queued = 0
    stamp = now()
    rows = await session.scalars(select(MarketplaceIntegration).where(
        MarketplaceIntegration.token_expires_at.is_not(None),
        MarketplaceIntegration.token_expires_at > stamp,
        MarketplaceIntegration.token_expires_at <= stamp + max(EXPIRY_WARN_DAYS) * 86400 + 86400,
        MarketplaceIntegration.status != IntegrationStatus.DRAFT))
    for integration in rows:
        days_left = (integration.token_expires_at - stamp) / 86400
        # The smallest threshold not yet passed: 6.5 days left → the 7-day warning; 0.5 → the 1-day one.
        due = [d for d in EXPIRY_WARN_DAYS if days_left <= d]
        if due:
            await key_expiring(session, integration, min(due))
            queued += 1
    return queued


async def check_key_expiry(platform) -> int:
    """The daily job (services.jobs.GlobalJob.KEY_EXPIRY)."""
    async with platform.sessionmaker() as session:
        queued = await expiring_keys(session)
        await session.commit()
    return queued
