"""Which facts become alerts, and with what: a failure streak (once per streak) and its recovery, keys about to expire,
stock that runs out within the partner's horizon (once per streak). Order and stock facts are queued by
services/orders.py. Each goes into the outbox (services/outbox/store.py) in the
transaction of the fact it reports."""
from __future__ import annotations

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import IntegrationStatus, MarketplaceIntegration, Partner, Product, now
from services import analytics
from services.outbox.policy import prefs_of
from services.outbox.records import AlertKind
from services.outbox.store import enqueue


# A blip (one failed poll, retried at the next) is not worth a message: a streak of this many is.
FAILURE_ALERT_AFTER = 3
EXPIRY_WARN_DAYS = (7, 3, 1)
# Partners whose stock cover is read in one query (and written in one transaction) by the hourly check.
COVER_PARTNERS_PER_BATCH = 500


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


# ---- stock cover: "runs out in N days" ----

async def stock_cover(session: AsyncSession, partners: list[Partner], at: float) -> int:
    """One RUNS_OUT alert per product and streak: when its stock lasts at most the partner's runs_out_days at the
    recent pace (and it is not out already: the low-stock alert says that). The streak ends, and the next one alerts
    again, when the cover is back above the horizon or the product stops selling. Returns the alerts queued."""
    by_id = {partner.id: partner for partner in partners}
    stamp = int(at)
    alerted, cleared, queued = [], [], 0
    for partner_id, cover, alerted_at in await analytics.alert_candidates(session, list(by_id), at):
        partner = by_id[partner_id]
        horizon = prefs_of(partner).runs_out_days
        if cover.days_left is not None and cover.days_left <= horizon:
            if alerted_at is None and cover.stock > 0:
                alerted.append(cover.product_id)
                queued += await enqueue(session, partner, AlertKind.RUNS_OUT, f"cover:{cover.product_id}:{stamp}",
                                        {"product_id": cover.product_id, "sku": cover.sku, "name": cover.name,
                                         "stock": cover.stock, "days": int(cover.days_left),
                                         "rate": round(cover.rate, 2), "horizon": horizon})
        elif alerted_at is not None:
            cleared.append(cover.product_id)
    if alerted:
        await session.execute(update(Product).where(Product.id.in_(alerted)).values(cover_alerted_at=stamp))
    if cleared:
        await session.execute(update(Product).where(Product.id.in_(cleared)).values(cover_alerted_at=None))
    return queued


async def check_stock_cover(platform, at: float | None = None) -> int:
    """The hourly job (services.jobs.GlobalJob.STOCK_COVER): every reachable partner with a connected marketplace,
    COVER_PARTNERS_PER_BATCH at a time (one query for their covers, one transaction each batch)."""
    at = now() if at is None else at
    connected = exists().where(MarketplaceIntegration.partner_id == Partner.id,
                               MarketplaceIntegration.status != IntegrationStatus.DRAFT)
    queued, after = 0, ""
    while True:
        async with platform.sessionmaker() as session:
            partners = list(await session.scalars(
                select(Partner).where(Partner.status == "active", Partner.id > after, connected)
                .order_by(Partner.id).limit(COVER_PARTNERS_PER_BATCH)))
            if not partners:
                return queued
            queued += await stock_cover(session, partners, at)
            await session.commit()
        after = partners[-1].id
