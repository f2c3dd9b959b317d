"""What admins see and change: stats (and the platform stats chart), partners, failing integrations, marketplace API
configs."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Integer, case, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from connectors import default_base_url, profile
from connectors.base import Marketplace
from db.models import (
    IntegrationStatus,
    MarketplaceApiConfig,
    MarketplaceIntegration,
    now,
    Order,
    OutboxMessage,
    Partner,
)
from services import audit
from services.outbox.policy import zone
from services.outbox.records import OutboxStatus

PAGE_SIZE = 10

# marketplace_api_configs.auth_type (original schema) of the seed rows: every marketplace takes an API key.
AUTH_TYPE = "api_key"


@dataclass
class Stats:
    partners: int
    by_marketplace: dict[str, dict[str, int]]  # marketplace -> status -> count


@dataclass
class PartnerRow:
    partner: Partner
    integrations: int


async def stats(session: AsyncSession) -> Stats:
    partners = await session.scalar(select(func.count()).select_from(Partner)) or 0
    rows = await session.execute(
        select(MarketplaceIntegration.marketplace, MarketplaceIntegration.status, func.count())
        .where(MarketplaceIntegration.status != IntegrationStatus.DRAFT)
        .group_by(MarketplaceIntegration.marketplace, MarketplaceIntegration.status)
    )
    by_marketplace: dict[str, dict[str, int]] = {}
    for marketplace, status, count in rows:
        by_marketplace.setdefault(marketplace, {})[status] = count
    return Stats(partners=partners, by_marketplace=by_marketplace)


async def partners_page(session: AsyncSession, page: int) -> tuple[list[PartnerRow], int]:
    """One page of partners (newest first) and the number of pages."""
    total = await session.scalar(select(func.count()).select_from(Partner)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    counts = (
        select(MarketplaceIntegration.partner_id, func.count().label("n"))
        .where(MarketplaceIntegration.status != IntegrationStatus.DRAFT)
        .group_by(MarketplaceIntegration.partner_id)
        .subquery()
    )
    rows = await session.execute(
        select(Partner, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.partner_id == Partner.id)
        .order_by(Partner.created_at.desc(), Partner.id)
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return [PartnerRow(partner, n) for partner, n in rows], pages


async def failing_integrations(session: AsyncSession, limit: int = 30) -> list[tuple[MarketplaceIntegration, Partner]]:
    rows = await session.execute(
        select(MarketplaceIntegration, Partner)
        .join(Partner, Partner.id == MarketplaceIntegration.partner_id)
        .where(MarketplaceIntegration.status == IntegrationStatus.ERROR)
        .order_by(MarketplaceIntegration.failure_streak.desc(), MarketplaceIntegration.last_check_at.desc())
        .limit(limit)
    )
    return [(i, p) for i, p in rows]


async def ensure_api_configs(session: AsyncSession) -> None:
    """Create the four config rows on first start (official URLs; not overriding the env until edited)."""
    existing = set(await session.scalars(select(MarketplaceApiConfig.marketplace)))
    for marketplace in Marketplace:
        if marketplace.value not in existing:
            session.add(MarketplaceApiConfig(
                marketplace=marketplace.value, api_endpoint=default_base_url(marketplace),
                auth_type=AUTH_TYPE, documentation=profile(marketplace).docs_url,
            ))


async def api_configs(session: AsyncSession) -> list[MarketplaceApiConfig]:
    await ensure_api_configs(session)
    await session.flush()
    rows = await session.scalars(select(MarketplaceApiConfig))
    order = [m.value for m in Marketplace]
    return sorted(rows, key=lambda c: order.index(c.marketplace) if c.marketplace in order else 99)


async def api_config(session: AsyncSession, marketplace: Marketplace) -> MarketplaceApiConfig:
    await ensure_api_configs(session)
    await session.flush()
    return await session.scalar(select(MarketplaceApiConfig).where(MarketplaceApiConfig.marketplace == marketplace.value))


def valid_base_url(marketplace: Marketplace, url: str) -> bool:
    url = url.strip()
    if not (url.startswith("https://") or url.startswith("http://")) or " " in url or len(url) > 300:
        return False
    # Wildberries has one host per category, so its URL must be a template.
    return (marketplace is Marketplace.WILDBERRIES) == ("{category}" in url)


async def set_base_url(session: AsyncSession, marketplace: Marketplace, url: str | None, *, actor: int) -> None:
    """An admin override (or None to go back to the *_API_URL setting)."""
    config = await api_config(session, marketplace)
    if url is None:
        config.is_override = 0
        config.api_endpoint = default_base_url(marketplace)
    else:
        config.is_override = 1
        config.api_endpoint = url.strip().rstrip("/")
    config.updated_at, config.updated_by = now(), actor
    audit.record(session, "api_config.base_url", actor=actor, object_type="api_config",
                 object_id=marketplace.value, url=config.api_endpoint if url else None)


async def set_rate_limit(session: AsyncSession, marketplace: Marketplace, rate: int | None, *, actor: int) -> None:
    config = await api_config(session, marketplace)
    config.rate_limit = rate
    config.updated_at, config.updated_by = now(), actor
    audit.record(session, "api_config.rate_limit", actor=actor, object_type="api_config",
                 object_id=marketplace.value, rate_limit=rate)


# ---- platform stats (the admin's chart screen) ----

DAY = 86400
ACTIVE_WINDOWS = (1, 7, 30)  # days: partners seen within each
ORDER_DAYS = 30
ALERT_DAYS = 7
BLOCKED_PREFIX = "403"  # outbox.error of a send Telegram refused because the partner blocked the bot


@dataclass
class IntegrationCount:
    total: int = 0
    failing: int = 0


@dataclass
class PlatformStats:
    partners: int
    active: dict[int, int]  # window in days -> partners seen within it
    integrations: dict[str, IntegrationCount]  # marketplace -> connected (not draft) and failing
    days: list[date]  # the last ORDER_DAYS days, oldest first, in the given time zone
    orders: dict[str, list[int]]  # marketplace -> orders placed on each of `days`
    alerts_sent: int
    alerts_failed: int  # failed for any reason but a block
    alerts_blocked: int
    backlog: int  # outbox rows pending or being sent

    @property
    def orders_total(self) -> int:
        return sum(sum(counts) for counts in self.orders.values())


async def platform_stats(session: AsyncSession, at: float, timezone_name: str | None = None) -> PlatformStats:
    """The platform at a glance. Days are counted in `timezone_name` (the admin's), with its UTC offset at `at` for
    the whole month: the zones our partners live in keep no daylight saving time."""
    at = int(at)
    partners = await session.scalar(select(func.count()).select_from(Partner)) or 0
    active = {}
    for days in ACTIVE_WINDOWS:
        active[days] = await session.scalar(
            select(func.count()).select_from(Partner).where(Partner.last_seen_at >= at - days * DAY)) or 0

    integrations: dict[str, IntegrationCount] = {}
    failing = (MarketplaceIntegration.status == IntegrationStatus.ERROR) | (MarketplaceIntegration.failure_streak > 0)
    for marketplace, total, bad in await session.execute(
            select(MarketplaceIntegration.marketplace, func.count(), func.sum(case((failing, 1), else_=0)))
            .where(MarketplaceIntegration.status != IntegrationStatus.DRAFT)
            .group_by(MarketplaceIntegration.marketplace)):
        integrations[marketplace] = IntegrationCount(total, int(bad or 0))

    offset = int(zone(timezone_name).utcoffset(datetime.fromtimestamp(at, timezone.utc)).total_seconds())
    today = (at + offset) // DAY
    first = today - ORDER_DAYS + 1
    # Inlined numbers: PostgreSQL sees two bound parameters as two expressions and refuses the GROUP BY.
    day_number = (Order.placed_at + literal_column(str(offset), Integer)) // literal_column(str(DAY), Integer)
    orders: dict[str, list[int]] = {}
    for marketplace, day, count in await session.execute(
            select(MarketplaceIntegration.marketplace, day_number, func.count())
            .join(MarketplaceIntegration, MarketplaceIntegration.id == Order.integration_id)
            .where(Order.placed_at >= first * DAY - offset, Order.placed_at < (today + 1) * DAY - offset)
            .group_by(MarketplaceIntegration.marketplace, day_number)):
        orders.setdefault(marketplace, [0] * ORDER_DAYS)[int(day) - first] += count

    since = at - ALERT_DAYS * DAY
    outbox = OutboxMessage.__table__.c
    blocked = outbox.error.like(BLOCKED_PREFIX + "%")
    sent, failed, blocked_count = (await session.execute(
        select(func.sum(case((outbox.status == OutboxStatus.SENT, 1), else_=0)),
               func.sum(case(((outbox.status == OutboxStatus.FAILED) & ~blocked, 1), else_=0)),
               func.sum(case(((outbox.status == OutboxStatus.FAILED) & blocked, 1), else_=0)))
        .where(outbox.created_at >= since))).one()
    backlog = await session.scalar(select(func.count()).select_from(OutboxMessage.__table__).where(
        outbox.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))) or 0
    return PlatformStats(
        partners=partners, active=active, integrations=integrations,
        days=[date(1970, 1, 1) + timedelta(days=first + n) for n in range(ORDER_DAYS)], orders=orders,
        alerts_sent=int(sent or 0), alerts_failed=int(failed or 0), alerts_blocked=int(blocked_count or 0),
        backlog=backlog)
