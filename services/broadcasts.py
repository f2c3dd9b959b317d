"""Admin broadcasts: one message to all partners or to those with a marketplace connected / a language.

A broadcast is one `broadcasts` row and one outbox row per recipient (kind broadcast, dedupe key
`broadcast:{id}:{partner id}`), written in one transaction: the outbox sender delivers them within Telegram's limits
like any alert, and the copies' statuses are the delivery count. Once no copy can still be sent, the admin gets that
count once (`report_settled`, a platform job): `reported_at` is set in the same transaction as the report's outbox
row, whose own dedupe key `broadcast-report:{id}` keeps it to one message.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import case, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Broadcast, IntegrationStatus, JsonText, MarketplaceIntegration, OutboxMessage, Partner, now
from services import audit
from services.outbox import store
from services.outbox.records import AlertKind, OutboxStatus
from services.partners import LANGUAGES, get_by_telegram_id

OUTBOX = OutboxMessage.__table__
PARTNERS = Partner.__table__
BLOCKED_PREFIX = "403"  # outbox.error of a copy refused because the partner blocked the bot (bot/outbox_sender.py)
LIST_SIZE = 10  # broadcasts on the admin's list screen
SNIPPET = 60  # characters of a broadcast's text on the list


@dataclass(frozen=True)
class Audience:
    """Who gets it: every reachable partner, or those with `marketplace` connected, or those speaking `language`."""

    marketplace: str | None = None
    language: str | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v}

    @classmethod
    def from_dict(cls, data) -> Audience:
        data = data if isinstance(data, dict) else {}
        language = data.get("language")
        return cls(marketplace=data.get("marketplace") or None,
                   language=language if language in LANGUAGES else None)


@dataclass(frozen=True)
class Delivery:
    """What a broadcast's copies came to."""

    sent: int = 0
    blocked: int = 0  # the partner blocked the bot (now, or before their copy's turn came)
    failed: int = 0  # Telegram refused it otherwise, the partner was disabled or deleted meanwhile
    pending: int = 0  # still to be sent

    @property
    def settled(self) -> bool:
        return self.pending == 0


def _recipients(audience: Audience):
    # Only active partners: the sender never sends to an unreachable or disabled one, so their copies would wait
    # forever and the broadcast would never settle.
    query = select(Partner.id, Partner.telegram_id).where(Partner.status == "active")
    if audience.marketplace:
        query = query.where(exists().where(
            MarketplaceIntegration.partner_id == Partner.id, MarketplaceIntegration.marketplace == audience.marketplace,
            MarketplaceIntegration.status != IntegrationStatus.DRAFT))
    if audience.language:
        query = query.where(Partner.language == audience.language)
    return query


async def count_recipients(session: AsyncSession, audience: Audience) -> int:
    return await session.scalar(select(func.count()).select_from(_recipients(audience).subquery())) or 0


async def send(session: AsyncSession, *, broadcast_id: str, admin_telegram_id: int, text: str,
               audience: Audience) -> tuple[Broadcast, bool]:
    """Queue the broadcast in the caller's transaction; (the broadcast, False) if this id was queued before (a
    second tap on "send"; when both taps run at once, the loser's transaction is rolled back). The caller
    commits."""
    existing = await session.get(Broadcast, broadcast_id)
    if existing is not None:
        return existing, False
    partners = list(await session.execute(_recipients(audience).order_by(Partner.id)))
    broadcast = Broadcast(id=broadcast_id, admin_telegram_id=admin_telegram_id, text=text,
                          audience=JsonText.dump(audience.to_dict()), recipients=len(partners), created_at=now())
    session.add(broadcast)
    try:
        await session.flush()  # the row first: a concurrent second tap fails on its primary key, not halfway
    except IntegrityError:
        await session.rollback()
        return await session.get(Broadcast, broadcast_id), False
    payload = {"broadcast_id": broadcast_id, "text": text}
    # Never muted, so no partner's prefs to read: one statement per thousand copies.
    await store.enqueue_many(session, [(partner_id, chat_id, AlertKind.BROADCAST,
                                        f"broadcast:{broadcast_id}:{partner_id}", payload)
                                       for partner_id, chat_id in partners])
    audit.record(session, "broadcast.sent", actor=admin_telegram_id, object_type="broadcast", object_id=broadcast_id,
                 recipients=len(partners), **audience.to_dict())
    return broadcast, True


async def find(session: AsyncSession, broadcast_id: str) -> Broadcast | None:
    return await session.get(Broadcast, broadcast_id)


async def delivery(session: AsyncSession, broadcast: Broadcast) -> Delivery:
    """The copies' statuses, read off the outbox's unique dedupe-key index (a key range, not a LIKE)."""
    prefix = f"broadcast:{broadcast.id}:"
    blocked = case((OUTBOX.c.error.like(BLOCKED_PREFIX + "%"), 1), else_=0)
    rows = await session.execute(
        select(OUTBOX.c.status, blocked, PARTNERS.c.status, func.count())
        .select_from(OUTBOX.join(PARTNERS, PARTNERS.c.id == OUTBOX.c.partner_id))
        .where(OUTBOX.c.dedupe_key >= prefix, OUTBOX.c.dedupe_key < prefix[:-1] + ";")  # ";" follows ":"
        .group_by(OUTBOX.c.status, blocked, PARTNERS.c.status))
    counts = {"sent": 0, "blocked": 0, "failed": 0, "pending": 0}
    for status, was_blocked, partner_status, count in rows:
        if status == OutboxStatus.SENT:
            counts["sent"] += count
        elif status == OutboxStatus.FAILED:
            counts["blocked" if was_blocked else "failed"] += count
        elif status == OutboxStatus.SENDING or (status == OutboxStatus.PENDING and partner_status == "active"):
            counts["pending"] += count
        elif status == OutboxStatus.PENDING and partner_status == "unreachable":  # blocked by another message first
            counts["blocked"] += count
        else:  # pending for a disabled partner, or muted (never for this kind): it will not go
            counts["failed"] += count
    counts["failed"] += max(0, broadcast.recipients - sum(counts.values()))  # partners deleted since
    return Delivery(**counts)


async def latest(session: AsyncSession, limit: int = LIST_SIZE) -> list[tuple[Broadcast, Delivery]]:
    broadcasts = list(await session.scalars(
        select(Broadcast).order_by(Broadcast.created_at.desc(), Broadcast.id.desc()).limit(limit)))
    return [(b, await delivery(session, b)) for b in broadcasts]


def report_payload(broadcast: Broadcast, counts: Delivery) -> dict:
    """What the admin's delivery-count message is rendered from (bot/alert_texts.py, kind broadcast)."""
    return {"broadcast_id": broadcast.id, "report": asdict(counts), "recipients": broadcast.recipients,
            "created_at": broadcast.created_at, "audience": JsonText.load(broadcast.audience, {})}


async def report_settled(session: AsyncSession) -> int:
    """Queue the delivery count of every broadcast whose copies are all settled, once each, to the admin who sent
    it. Returns how many were reported. The caller commits."""
    reported = 0
    for broadcast in list(await session.scalars(
            select(Broadcast).where(Broadcast.reported_at.is_(None)).order_by(Broadcast.created_at))):
        counts = await delivery(session, broadcast)
        if not counts.settled:
            continue
        claimed = await session.execute(update(Broadcast).where(
            Broadcast.id == broadcast.id, Broadcast.reported_at.is_(None)).values(reported_at=now()))
        if not claimed.rowcount:  # reported by another process meanwhile
            continue
        admin = await get_by_telegram_id(session, broadcast.admin_telegram_id)
        if admin is not None:
            await store.enqueue(session, admin, AlertKind.BROADCAST, f"broadcast-report:{broadcast.id}",
                                report_payload(broadcast, counts))
        reported += 1
    return reported


async def check_reports(platform) -> int:
    """The platform job (services.jobs.GlobalJob.BROADCAST_REPORTS)."""
    async with platform.sessionmaker() as session:
        reported = await report_settled(session)
        await session.commit()
    return reported
