"""The outbox table: every message to a partner, written in the same transaction as the fact it reports, with a
unique dedupe key (a fact seen twice — a re-poll after a crash — is one message).

A row is `pending` until a sender claims it (`sending`), then `sent`, `failed`, or `pending` again (a retry, a
pause).

Any number of senders (one per replica) may drain one database. A round reads due rows with `SELECT ... FOR UPDATE
SKIP LOCKED` (PostgreSQL), locking the partners' rows too, so two senders take disjoint chats at once; a chat with a
message in flight is left alone by every other sender. The claim marks the rows `sending` with the sender's name
(`claimed_by`) and a lease (`lease_until`, renewed every round while the sender lives): each alert is sent by one
sender. A sender that died leaves its rows `sending`; once their lease lapses another sender takes them over, marked
RECOVERED, and sends them again (on SQLite, one process, that happens at start-up, as before).

The one window for a duplicate: Telegram has no idempotency key, so a message it accepted in the instant before its
sender died — after Telegram's answer, before the `sent` mark was committed — is sent again. The sender records
every outcome as soon as the answer arrives (bot/outbox_sender.py: no batch waits for a round), so that window is
one commit long, and holds at most the message or two being answered in that instant; every row taken over carries
RECOVERED, so such a duplicate can be traced.
"""
from __future__ import annotations

from sqlalchemy import and_, bindparam, case, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db.models import JsonText, OutboxMessage, Partner, new_id, now
from services.jobs.leases import HOLDER
from services.outbox.policy import prefs_of
from services.outbox.records import (
    Alert,
    Blocked,
    Failed,
    Outcome,
    OutboxStatus,
    Recipient,
    Released,
    Retry,
    Round,
    Sent,
)

OUTBOX = OutboxMessage.__table__
PARTNERS = Partner.__table__
# outbox.error of a row found `sending` at start-up and sent again; kept once it is sent (and through later
# retries), so a duplicate a partner might see can be traced to a crash mid-send
RECOVERED = "recovered_in_flight"
# How long a claimed row stays with its sender without renewal: longer than one send can take (aiogram's request
# timeout is 60 s), so only a sender that died loses its rows.
LEASE_SECONDS = 120


async def enqueue(session: AsyncSession, partner: Partner, kind: str, dedupe_key: str, payload: dict) -> bool:
    """Queue one message in the caller's transaction (a kind the partner muted is kept as 'muted', not sent). False
    if this fact was queued before."""
    status = OutboxStatus.MUTED if kind in prefs_of(partner).muted else OutboxStatus.PENDING
    stamp = now()
    values = {"id": new_id(), "partner_id": partner.id, "chat_id": partner.telegram_id, "kind": kind,
              "dedupe_key": dedupe_key, "payload": JsonText.dump(payload), "status": status.value, "attempts": 0,
              "next_attempt_at": stamp, "created_at": stamp}
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(insert(OutboxMessage).values(**values)
                                   .on_conflict_do_nothing(index_elements=["dedupe_key"]))
    return bool(result.rowcount)


async def recover_in_flight(session: AsyncSession) -> int:
    """At a sender's start: rows left `sending` by a process that died go back to pending, marked (sent again: at
    least once). On SQLite (one process) that is every such row; elsewhere only rows whose lease lapsed (others
    belong to live replicas; a lapsing one is taken over by `fetch_due` later)."""
    query = update(OUTBOX).where(OUTBOX.c.status == OutboxStatus.SENDING)
    if session.bind.dialect.name != "sqlite":
        query = query.where(or_(OUTBOX.c.lease_until.is_(None), OUTBOX.c.lease_until <= now()))
    result = await session.execute(query.values(status=OutboxStatus.PENDING, error=RECOVERED, claimed_by=None,
                                                lease_until=None))
    return result.rowcount or 0


def _claimable(at: float):
    """Due and pending, or `sending` by a sender whose lease lapsed (it died)."""
    return or_(and_(OUTBOX.c.status == OutboxStatus.PENDING, OUTBOX.c.next_attempt_at <= at),
               and_(OUTBOX.c.status == OutboxStatus.SENDING, OUTBOX.c.lease_until <= at))


def _in_flight_elsewhere(at: float):
    """The row's chat has a message in flight with a live lease (on any sender): one message per chat at a time."""
    other = OUTBOX.alias("in_flight")
    return exists().where(other.c.chat_id == OUTBOX.c.chat_id, other.c.status == OutboxStatus.SENDING,
                          other.c.lease_until > at)


def _due(stmt, at: float):
    return stmt.join(PARTNERS, PARTNERS.c.id == OUTBOX.c.partner_id).where(
        _claimable(at), PARTNERS.c.status == "active", ~_in_flight_elsewhere(at))


async def due_count(session: AsyncSession, at: float) -> int:
    """Rows a sender could claim now (not those of a chat another sender is sending to)."""
    return await session.scalar(_due(select(func.count()).select_from(OUTBOX), at)) or 0


async def next_due_at(session: AsyncSession) -> int | None:
    """When the next pending row of a reachable partner is due (or a sending one's lease lapses)."""
    due_at = case((OUTBOX.c.status == OutboxStatus.SENDING, OUTBOX.c.lease_until), else_=OUTBOX.c.next_attempt_at)
    return await session.scalar(select(func.min(due_at)).select_from(
        OUTBOX.join(PARTNERS, PARTNERS.c.id == OUTBOX.c.partner_id)).where(
        OUTBOX.c.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)), PARTNERS.c.status == "active"))


async def fetch_due(session: AsyncSession, at: float, limit: int,
                    exclude_chats: set[int] = frozenset()) -> list[tuple[Alert, Recipient]]:
    """Due rows of reachable partners in due order, straight off the (status, next_attempt_at) index: no sort of the
    whole backlog. Chats in `exclude_chats` (a message queued or in flight, or within their per-chat interval) are
    left for a later round, and so are chats with a message in flight on another sender. The rows and their
    partners stay locked (PostgreSQL; skipped by other senders) until the caller's `settle` is committed."""
    query = (select(OUTBOX.c.id, OUTBOX.c.partner_id, OUTBOX.c.chat_id, OUTBOX.c.kind, OUTBOX.c.payload,
                    OUTBOX.c.attempts, OUTBOX.c.created_at, OUTBOX.c.next_attempt_at, PARTNERS.c.language,
                    PARTNERS.c.timezone, PARTNERS.c.notification_prefs)
             .select_from(OUTBOX.join(PARTNERS, PARTNERS.c.id == OUTBOX.c.partner_id))
             .where(_claimable(at), PARTNERS.c.status == "active", ~_in_flight_elsewhere(at))
             .order_by(OUTBOX.c.next_attempt_at).limit(limit)
             .with_for_update(of=(OUTBOX, PARTNERS), skip_locked=True, key_share=True))
    if exclude_chats:
        query = query.where(OUTBOX.c.chat_id.not_in(exclude_chats))
    found = []
    for row in await session.execute(query):
        found.append((Alert(row.id, row.partner_id, row.chat_id, row.kind, JsonText.load(row.payload, {}),
                            row.attempts, row.created_at, row.next_attempt_at),
                      Recipient(row.partner_id, row.chat_id, row.language, row.timezone, row.notification_prefs)))
    return found


async def settle(session: AsyncSession, decided: Round, at: float, holder: str = HOLDER) -> set[str]:
    """Write one round's decisions (muted, held until the quiet hours end, unrenderable) and claim the rows to send
    for `holder` (this process), renewing the lease on the rows it is sending; returns the ids actually claimed (a
    row another sender took is not among them). The caller commits."""
    await session.execute(update(OUTBOX).where(OUTBOX.c.claimed_by == holder, OUTBOX.c.status == OutboxStatus.SENDING)
                          .values(lease_until=int(at) + LEASE_SECONDS))
    if decided.muted:
        await session.execute(update(OUTBOX).where(OUTBOX.c.id.in_(decided.muted),
                                                   OUTBOX.c.status == OutboxStatus.PENDING)
                              .values(status=OutboxStatus.MUTED))
    for partner_id, until in decided.held.items():
        await session.execute(update(OUTBOX).where(
            OUTBOX.c.partner_id == partner_id, OUTBOX.c.status == OutboxStatus.PENDING,
            OUTBOX.c.next_attempt_at <= at).values(next_attempt_at=until))
    if decided.failed:
        await session.execute(update(OUTBOX).where(OUTBOX.c.id == bindparam("b_id"))
                              .values(status=OutboxStatus.FAILED, error=bindparam("b_error")),
                              [{"b_id": i, "b_error": e} for i, e in decided.failed])
    if not decided.claim:
        return set()
    taken_over = OUTBOX.c.status == OutboxStatus.SENDING
    result = await session.execute(update(OUTBOX).where(OUTBOX.c.id.in_(decided.claim), _claimable(at))
                                   .values(status=OutboxStatus.SENDING, claimed_by=holder,
                                           lease_until=int(at) + LEASE_SECONDS,
                                           error=case((taken_over, RECOVERED), else_=OUTBOX.c.error))
                                   .returning(OUTBOX.c.id))
    return set(result.scalars())


async def record(conn: AsyncConnection | AsyncSession, outcomes: list[Outcome]) -> None:
    """What the sends came to, in one transaction (the caller commits)."""
    sent = [{"b_id": i, "b_mid": o.message_id, "b_at": o.at} for o in outcomes if isinstance(o, Sent) for i in o.ids]
    if sent:
        await conn.execute(update(OUTBOX).where(OUTBOX.c.id == bindparam("b_id")).values(
            status=OutboxStatus.SENT, message_id=bindparam("b_mid"), sent_at=bindparam("b_at")), sent)
    failed = [{"b_id": i, "b_error": o.error} for o in outcomes if isinstance(o, Failed) for i in o.ids]
    if failed:
        await conn.execute(update(OUTBOX).where(OUTBOX.c.id == bindparam("b_id")).values(
            status=OutboxStatus.FAILED, error=bindparam("b_error")), failed)
    retry = [{"b_id": i, "b_attempts": o.attempts, "b_next": o.next_attempt_at, "b_error": o.error}
             for o in outcomes if isinstance(o, Retry) for i in o.ids]
    if retry:
        await conn.execute(update(OUTBOX).where(OUTBOX.c.id == bindparam("b_id")).values(
            status=OutboxStatus.PENDING, attempts=bindparam("b_attempts"), next_attempt_at=bindparam("b_next"),
            error=_keep_recovered(bindparam("b_error"))), retry)
    for outcome in outcomes:
        if isinstance(outcome, Released):
            values = {"status": OutboxStatus.PENDING}
            if outcome.error is not None:
                values["error"] = _keep_recovered(outcome.error)
            await conn.execute(update(OUTBOX).where(OUTBOX.c.id.in_(outcome.ids),
                                                    OUTBOX.c.status == OutboxStatus.SENDING).values(**values))
        elif isinstance(outcome, Blocked):
            await conn.execute(update(PARTNERS).where(PARTNERS.c.id == outcome.partner_id)
                               .values(status="unreachable"))
            await conn.execute(update(OUTBOX).where(
                OUTBOX.c.partner_id == outcome.partner_id,
                OUTBOX.c.id.in_(outcome.ids) | (OUTBOX.c.status == OutboxStatus.PENDING))
                .values(status=OutboxStatus.FAILED, error=outcome.error))


def _keep_recovered(error):
    """The new error text, unless the row carries the crash marker (which stays)."""
    return case((OUTBOX.c.error == RECOVERED, OUTBOX.c.error), else_=error)
