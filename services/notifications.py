"""Alerts to partners go through the outbox: a row written in the same transaction as the fact it reports,
with a unique dedupe key (a fact seen twice — a re-poll after a crash — is one message). bot/notifier.py
sends the rows within Telegram's limits; bot/alerts.py renders them in the partner's language."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import JsonText, MarketplaceIntegration, OutboxMessage, Partner, new_id, now


class Kind:
    NEW_ORDER = "new_order"
    CANCELLED = "cancelled"
    SYNC_FAILED = "sync_failed"
    RECOVERED = "recovered"
    LOW_STOCK = "low_stock"
    KEY_EXPIRING = "key_expiring"
    ALL = (NEW_ORDER, CANCELLED, SYNC_FAILED, RECOVERED, LOW_STOCK, KEY_EXPIRING)


DEFAULT_LOW_STOCK = 3
# A blip (one failed poll, retried at the next) is not worth a message: a streak of this many is.
FAILURE_ALERT_AFTER = 3
EXPIRY_WARN_DAYS = (7, 3, 1)


@dataclass(frozen=True)
class Prefs:
    muted: frozenset[str] = frozenset()
    quiet: tuple[int, int] | None = None  # (from hour, to hour) in the partner's timezone, e.g. (22, 8)
    low_stock: int = DEFAULT_LOW_STOCK

    def to_json(self) -> str:
        return JsonText.dump({"muted": sorted(self.muted), "quiet": list(self.quiet) if self.quiet else None,
                              "low_stock": self.low_stock})


def prefs_of(partner: Partner) -> Prefs:
    data = JsonText.load(partner.notification_prefs, {})
    quiet = data.get("quiet")
    return Prefs(
        muted=frozenset(k for k in data.get("muted", []) if k in Kind.ALL),
        quiet=(int(quiet[0]) % 24, int(quiet[1]) % 24) if isinstance(quiet, list) and len(quiet) == 2 else None,
        low_stock=int(data.get("low_stock", DEFAULT_LOW_STOCK)),
    )


async def enqueue(session: AsyncSession, partner: Partner, kind: str, dedupe_key: str, payload: dict) -> bool:
    """Queue one message (muted kinds are kept as 'muted', not sent). False if this fact was queued before."""
    status = "muted" if kind in prefs_of(partner).muted else "pending"
    values = {"id": new_id(), "partner_id": partner.id, "chat_id": partner.telegram_id, "kind": kind,
              "dedupe_key": dedupe_key, "payload": JsonText.dump(payload), "status": status, "attempts": 0,
              "next_attempt_at": now(), "created_at": now()}
    dialect = session.bind.dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    result = await session.execute(insert(OutboxMessage).values(**values)
                                   .on_conflict_do_nothing(index_elements=["dedupe_key"]))
    return bool(result.rowcount)


# ---- the facts ----

def integration_payload(integration: MarketplaceIntegration) -> dict:
    return {"integration_id": integration.id, "marketplace": integration.marketplace,
            "shop": integration.shop_name or integration.account_name or integration.seller_id or ""}


async def failure(session: AsyncSession, integration: MarketplaceIntegration, job: str) -> None:
    """Once per failure streak, when it reaches FAILURE_ALERT_AFTER failures in a row (with a retry button)."""
    if integration.failure_alerted or integration.status == "paused" or \
            integration.failure_streak < FAILURE_ALERT_AFTER:
        return
    partner = await session.get(Partner, integration.partner_id)
    integration.failure_alerted = 1
    await enqueue(session, partner, Kind.SYNC_FAILED, f"fail:{integration.id}:{integration.failing_since}",
                  {**integration_payload(integration), "job": job, "cause": integration.last_error,
                   "detail": integration.last_error_detail})


async def recovery(session: AsyncSession, integration: MarketplaceIntegration, failing_since: int | None) -> None:
    """One message when a reported failure streak ends."""
    partner = await session.get(Partner, integration.partner_id)
    await enqueue(session, partner, Kind.RECOVERED, f"recover:{integration.id}:{failing_since}",
                  integration_payload(integration))


async def key_expiring(session: AsyncSession, integration: MarketplaceIntegration, days: int) -> None:
    partner = await session.get(Partner, integration.partner_id)
    await enqueue(session, partner, Kind.KEY_EXPIRING,
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
        MarketplaceIntegration.status != "draft"))
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
