"""The outbox drained by several replicas: two senders (each its own engine and Bot, as two processes) on one database
send each alert exactly once, one chat at a time; rows a dead sender left `sending` are taken over once their lease
lapses (marked recovered_in_flight), not while it lives. Against the sandbox Telegram server."""
import asyncio
import collections

from sqlalchemy import update

from bot.outbox_sender import OutboxSender
from db.models import OutboxMessage, now
from db.session import create_engine, create_sessionmaker
from services.outbox.records import AlertKind as Kind
from services.outbox.store import RECOVERED
from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer

from tests.unit.test_outbox_sender import (  # noqa: F401
    TOKEN,
    Calls,
    LoopbackSession,
    add_alert,
    add_partner,
    core,
    low_stock,
    outbox,
    telegram,
)


async def test_two_senders_send_each_alert_once(db_url, sessionmaker, core):  # noqa: F811
    chats, per_chat = 30, 4
    async with telegram() as (tg, bot_a, calls_a):
        bot_b = Bot(TOKEN, session=LoopbackSession(api=TelegramAPIServer.from_base(tg.url)))
        calls_b = Calls()
        bot_b.session.middleware(calls_b)
        for chat in range(chats):
            partner = await add_partner(sessionmaker, tg, 2000 + chat)
            for n in range(per_chat):
                await add_alert(sessionmaker, partner, Kind.LOW_STOCK, f"low:{chat}:{n}",
                                low_stock(chat * 100 + n))
        engines = [create_engine(db_url) for _ in range(2)]
        senders = [OutboxSender(bot, create_sessionmaker(engine), core, per_chat_interval=0.01)
                   for bot, engine in zip((bot_a, bot_b), engines)]
        try:
            counts = await asyncio.gather(*(sender.drain_once() for sender in senders))
        finally:
            for engine in engines:
                await engine.dispose()
            await bot_b.session.close()
        received = collections.Counter(m.text for chat in range(chats) for m in tg.messages(2000 + chat))
    assert sum(counts) == chats * per_chat
    assert len(received) == chats * per_chat and set(received.values()) == {1}  # every alert, once
    if db_url.startswith("postgresql"):  # SKIP LOCKED: the senders took different chats side by side
        assert all(counts)
    rows = await outbox(sessionmaker)
    assert {r.status for r in rows} == {"sent"} and not any(r.error for r in rows)
    # One message per chat at a time across both senders: no chat got two at once.
    for chat in range(chats):
        sends = sorted((start, end) for c, start, end, _ in calls_a.log + calls_b.log if c == 2000 + chat)
        assert all(prev_end <= start for (_, prev_end), (start, _) in zip(sends, sends[1:]))


async def test_rows_of_a_dead_sender_are_taken_over_once_their_lease_lapses(db_url, sessionmaker, core):  # noqa: F811
    async with telegram() as (tg, bot, _):
        dead_partner = await add_partner(sessionmaker, tg, 3001)
        live_partner = await add_partner(sessionmaker, tg, 3002)
        await add_alert(sessionmaker, dead_partner, Kind.LOW_STOCK, "low:dead", low_stock(1))
        await add_alert(sessionmaker, live_partner, Kind.LOW_STOCK, "low:live", low_stock(2))
        await add_alert(sessionmaker, live_partner, Kind.LOW_STOCK, "low:live-next", low_stock(3))
        async with sessionmaker() as s:
            await s.execute(update(OutboxMessage).where(OutboxMessage.dedupe_key == "low:dead").values(
                status="sending", claimed_by="dead-replica", lease_until=now() - 1))
            await s.execute(update(OutboxMessage).where(OutboxMessage.dedupe_key == "low:live").values(
                status="sending", claimed_by="live-replica", lease_until=now() + 100))
            await s.commit()

        sender = OutboxSender(bot, sessionmaker, core, per_chat_interval=0.01)
        await sender.drain_once()
        rows = {r.dedupe_key: r for r in await outbox(sessionmaker)}
        assert (rows["low:dead"].status, rows["low:dead"].error) == ("sent", RECOVERED)
        assert len(tg.messages(3001)) == 1
        if db_url.startswith("postgresql"):
            # A live replica is sending to that chat: neither its row nor the chat's next one is touched here.
            assert rows["low:live"].status == "sending" and rows["low:live"].claimed_by == "live-replica"
            assert rows["low:live-next"].status == "pending" and not tg.messages(3002)
        else:  # SQLite is one process: at start-up every row left sending is the last run's, sent again
            assert {rows["low:live"].status, rows["low:live-next"].status} == {"sent"}
