"""The outbox (store, policy, rendering, and the sender) against the sandbox Telegram (a real aiogram Bot, real HTTP) and a real database."""
from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram_i18n.cores import FluentRuntimeCore
from sqlalchemy import select, update

from bot import alert_texts
from bot.i18n import DEFAULT_LOCALE, LOCALES_DIR, Texts
from bot.outbox_sender import OutboxSender
from db.models import OutboxMessage, Partner
from sandbox.telegram import TelegramSandbox, parse_html
from services.outbox.policy import Prefs, quiet_until
from services.outbox.records import Alert, AlertKind as Kind, Recipient
from services.outbox.store import enqueue

TOKEN = "123456:AAHsandboxTOKENforTESTS_0123456789"
TASHKENT = ZoneInfo("Asia/Tashkent")


class LoopbackSession(AiohttpSession):
    """aiogram's session without the 0.25 s pause on close that only TLS connections need."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


class Calls:
    """Every sendMessage the bot makes: (chat_id, started, finished, outcome) with monotonic times."""

    def __init__(self) -> None:
        self.log: list[tuple[int, float, float, str]] = []

    async def __call__(self, make_request, bot, method):
        started = time.monotonic()
        outcome = "ok"
        try:
            return await make_request(bot, method)
        except Exception as exc:
            outcome = type(exc).__name__
            raise
        finally:
            if type(method).__name__ == "SendMessage":
                self.log.append((int(method.chat_id), started, time.monotonic(), outcome))

    def to(self, chat_id: int) -> list[tuple[int, float, float, str]]:
        return [c for c in self.log if c[0] == chat_id]


@pytest.fixture
async def core() -> FluentRuntimeCore:
    core = FluentRuntimeCore(path=LOCALES_DIR / "{locale}", default_locale=DEFAULT_LOCALE, raise_key_error=True)
    await core.startup()
    return core


@asynccontextmanager
async def telegram(**limits) -> AsyncIterator[tuple[TelegramSandbox, Bot, Calls]]:
    async with TelegramSandbox(**limits) as tg:
        bot = Bot(TOKEN, session=LoopbackSession(api=TelegramAPIServer.from_base(tg.url)))
        calls = Calls()
        bot.session.middleware(calls)
        try:
            yield tg, bot, calls
        finally:
            await bot.session.close()


async def add_partner(sessionmaker, tg: TelegramSandbox | None, telegram_id: int, *, prefs: Prefs | None = None,
                      language: str = "en", started: bool = True) -> Partner:
    if tg is not None:
        tg.user(telegram_id, started=started)
    async with sessionmaker() as session:
        partner = Partner(telegram_id=telegram_id, name=f"P{telegram_id}", language=language,
                          notification_prefs=prefs.to_json() if prefs else None)
        session.add(partner)
        await session.commit()
    return partner


async def add_alert(sessionmaker, partner: Partner, kind: str, key: str, payload: dict) -> None:
    async with sessionmaker() as session:
        assert await enqueue(session, partner, kind, key, payload)
        await session.commit()


async def outbox(sessionmaker, **where) -> list[OutboxMessage]:
    async with sessionmaker() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.dedupe_key)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(await session.scalars(query))


def order(order_id: str, *, items: int = 1, name: str = "Phone case", marketplace: str = "uzum",
          ship_by: int | None = 1_760_000_000) -> dict:
    return {"marketplace": marketplace, "shop": "Bek's <shop> & Co", "integration_id": "int-1", "order_id": order_id,
            "items": [{"sku": f"SKU-{n}", "name": f"{name} {n}", "quantity": 2, "price": "45000"}
                      for n in range(items)],
            "total": str(90000 * items), "currency": "UZS", "ship_by": ship_by, "placed_at": 1_759_990_000,
            "scheme": "FBS"}


def low_stock(n: int = 1) -> dict:
    return {"product_id": f"p{n}", "sku": f"SKU-{n}", "name": f"Blue mug {n}", "stock": 2, "threshold": 3}


# ---------------------------------------------------------------------------------------- rendering

def make_row(kind: str, payload: dict) -> Alert:
    return Alert(id="x", partner_id="p", chat_id=1, kind=kind, payload=payload, attempts=0, created_at=0,
                 next_attempt_at=0)


async def test_every_kind_renders_escaped_html_under_the_limit(core) -> None:
    texts = Texts(core, "en")
    partner = Recipient("p", 1, "en", "Asia/Tashkent", None)
    evil = "<script>&amp; \"x\""
    payloads = {
        Kind.NEW_ORDER: order("A-1"),
        Kind.CANCELLED: {"marketplace": "ozon", "shop": evil, "integration_id": "i", "order_id": evil,
                         "total": "12.50", "currency": "RUB"},
        Kind.SYNC_FAILED: {"integration_id": "i1", "marketplace": "wildberries", "shop": evil, "job": "orders",
                           "cause": "bad_key", "detail": evil * 100},
        Kind.RECOVERED: {"integration_id": "i1", "marketplace": "yandex", "shop": evil},
        Kind.LOW_STOCK: {"product_id": "p", "sku": evil, "name": evil, "stock": 0, "threshold": 3},
        Kind.KEY_EXPIRING: {"integration_id": "i1", "marketplace": "wildberries", "shop": "S", "days": 3,
                            "expires_at": 1_760_000_000},
    }
    for locale in ("uz", "ru", "en"):
        for kind, payload in payloads.items():
            text, markup = alert_texts.render([make_row(kind, payload)], Texts(core, locale), partner)
            visible, _ = parse_html(text)  # raises on HTML Telegram would refuse
            assert "<script>" not in text and len(visible) <= 4096, (locale, kind)
    text, markup = alert_texts.render([make_row(Kind.SYNC_FAILED, payloads[Kind.SYNC_FAILED])], texts, partner)
    assert "getting orders" in text and "The key is wrong" in text
    assert markup.inline_keyboard[0][0].callback_data == "s:run:i1"
    text, _ = alert_texts.render([make_row(Kind.LOW_STOCK, payloads[Kind.LOW_STOCK])], texts, partner)
    assert "Out of stock" in text
    text, markup = alert_texts.render([make_row(Kind.KEY_EXPIRING, payloads[Kind.KEY_EXPIRING])], texts, partner)
    assert "in 3 days" in text and markup.inline_keyboard[0][0].callback_data == "i:replace:i1:"

    # ten orders of 200 items with very long names still make one message under Telegram's limit
    huge = [make_row(Kind.NEW_ORDER, order(f"B-{n}", items=200, name="Ж" * 300 + "😀")) for n in range(10)]
    text, markup = alert_texts.render(huge, texts, partner)
    visible, _ = parse_html(text)
    assert len(visible.encode("utf-16-le")) // 2 <= 4096 and markup is None
    assert text.startswith("🛒 <b>10 new orders</b>")
    assert all(f"B-{n}" in text for n in range(10)) and "more items" in text
    with pytest.raises(alert_texts.RenderError):
        alert_texts.render(huge + huge[:1], texts, partner)
    with pytest.raises(alert_texts.RenderError):
        alert_texts.render([huge[0], make_row(Kind.LOW_STOCK, low_stock())], texts, partner)


def test_quiet_until() -> None:
    partner = "Asia/Tashkent"
    at = lambda *a: datetime(*a, tzinfo=TASHKENT).timestamp()  # noqa: E731
    assert quiet_until(partner, (22, 8), at(2025, 3, 1, 23, 30)) == at(2025, 3, 2, 8)
    assert quiet_until(partner, (22, 8), at(2025, 3, 2, 7, 59)) == at(2025, 3, 2, 8)
    assert quiet_until(partner, (22, 8), at(2025, 3, 2, 8, 0)) is None
    assert quiet_until(partner, (13, 14), at(2025, 3, 2, 13, 10)) == at(2025, 3, 2, 14)
    assert quiet_until(partner, (13, 14), at(2025, 3, 2, 12, 10)) is None
    assert quiet_until(partner, (5, 5), at(2025, 3, 2, 5, 10)) is None
    assert quiet_until(partner, None, at(2025, 3, 2, 5, 10)) is None


# ------------------------------------------------------------------------------------------- sending

async def test_new_orders_of_one_chat_are_grouped(sessionmaker, core) -> None:
    async with telegram() as (tg, bot, calls):
        one = await add_partner(sessionmaker, tg, 101)
        many = await add_partner(sessionmaker, tg, 102)
        for n in range(3):
            await add_alert(sessionmaker, one, Kind.NEW_ORDER, f"o:{n}", order(f"A-{n}"))
        await add_alert(sessionmaker, one, Kind.LOW_STOCK, "low:1", low_stock())
        for n in range(12):  # 10 in the first message, 2 in the next; items galore, names long
            await add_alert(sessionmaker, many, Kind.NEW_ORDER, f"m:{n}", order(f"M-{n}", items=40, name="Ü" * 150))

        notifier = OutboxSender(bot, sessionmaker, core, per_chat_interval=0.1)
        assert await notifier.drain_once() == 4

        texts = [m.text for m in tg.messages(101)]
        assert len(texts) == 2
        grouped = next(t for t in texts if t.startswith("🛒 3 new orders"))
        assert all(f"A-{n}" in grouped for n in range(3))
        assert "Uzum Market · Bek's <shop> & Co — order A-0 · FBS" in grouped
        assert "Phone case 0 (SKU-0) × 2 — 45 000" in grouped and "Total: 90 000 UZS" in grouped
        assert "Ship by 09.10.2025 13:53" in grouped and "All together: 270 000 UZS" in grouped
        assert any(t.startswith("📉 Low stock: Blue mug 1") for t in texts)
        rows = await outbox(sessionmaker, partner_id=one.id)
        assert {r.status for r in rows} == {"sent"}
        assert len({r.message_id for r in rows if r.kind == Kind.NEW_ORDER}) == 1

        big = [m.text for m in tg.messages(102)]
        assert [t.splitlines()[0] for t in big] == ["🛒 10 new orders", "🛒 2 new orders"]
        assert all(len(t) <= 4096 for t in big)
        assert {r.status for r in await outbox(sessionmaker, partner_id=many.id)} == {"sent"}
        assert tg.stats["errors"] == 0


async def test_one_message_per_chat_per_interval(sessionmaker, core) -> None:
    # the sandbox refuses a second message to a chat within 0.3 s: any mistake is a 429
    async with telegram(per_chat_rate=1, time_scale=0.3) as (tg, bot, calls):
        slow = await add_partner(sessionmaker, tg, 201)
        other = await add_partner(sessionmaker, tg, 202)
        for n in range(3):
            await add_alert(sessionmaker, slow, Kind.LOW_STOCK, f"low:{n}", low_stock(n))
        await add_alert(sessionmaker, other, Kind.RECOVERED, "rec:1",
                        {"integration_id": "i", "marketplace": "ozon", "shop": "S"})

        notifier = OutboxSender(bot, sessionmaker, core, per_chat_interval=0.3, retry_after_scale=0.3)
        assert await notifier.drain_once() == 4
        assert tg.stats["429"] == 0
        starts = [c[1] for c in calls.to(201)]
        assert len(starts) == 3 and all(b - a >= 0.3 for a, b in zip(starts, starts[1:]))
        # the other chat is not held up by the first one's spacing
        assert calls.to(202)[0][1] - starts[0] < 0.2


async def test_global_rate(sessionmaker, core) -> None:
    # Telegram's 30 messages per second at double speed: 30 in any 0.5 s (60/s), enforced by the sandbox with
    # a sliding window: a single message too many is a 429
    async with telegram(global_rate=30, per_chat_rate=1, time_scale=0.5) as (tg, bot, calls):
        for chat in range(300, 390):
            partner = await add_partner(sessionmaker, tg, chat)
            await add_alert(sessionmaker, partner, Kind.LOW_STOCK, f"low:{chat}", low_stock(chat))
        notifier = OutboxSender(bot, sessionmaker, core, global_rate=60, window=0.5, per_chat_interval=0.5,
                            retry_after_scale=0.5)
        assert await notifier.drain_once() == 90
        assert tg.stats["429"] == 0
        starts = sorted(c[1] for c in calls.log)
        rate = 89 / (starts[-1] - starts[0])
        assert rate <= 60 * 1.03  # never over the limit (at most 2 sends caught up after a late wake-up)
        # Throughput (not timid) is measured by bench/alerts.py, not asserted here: timings on a loaded machine vary.


async def test_quiet_hours_hold_then_deliver(sessionmaker, core) -> None:
    local_now = datetime.now(TASHKENT)
    night = local_now.replace(hour=23, minute=0, second=0, microsecond=0)
    if night <= local_now:
        night += timedelta(days=1)
    morning = (night + timedelta(hours=9)).replace(hour=8)
    clock = [night.timestamp()]
    async with telegram() as (tg, bot, calls):
        sleeper = await add_partner(sessionmaker, tg, 401, prefs=Prefs(quiet=(22, 8)))
        awake = await add_partner(sessionmaker, tg, 402)
        await add_alert(sessionmaker, sleeper, Kind.NEW_ORDER, "o:1", order("Q-1"))
        await add_alert(sessionmaker, sleeper, Kind.LOW_STOCK, "low:1", low_stock())
        await add_alert(sessionmaker, awake, Kind.NEW_ORDER, "o:2", order("Q-2"))

        notifier = OutboxSender(bot, sessionmaker, core, clock=lambda: clock[0], per_chat_interval=0.05)
        assert await notifier.drain_once() == 1
        assert tg.messages(401) == [] and len(tg.messages(402)) == 1
        held = await outbox(sessionmaker, partner_id=sleeper.id)
        assert {(r.status, r.next_attempt_at) for r in held} == {("pending", int(morning.timestamp()))}

        clock[0] = morning.timestamp() - 60  # still quiet: nothing
        assert await notifier.drain_once() == 0
        clock[0] = morning.timestamp() + 5
        assert await notifier.drain_once() == 2
        assert len(tg.messages(401)) == 2
        assert {r.status for r in await outbox(sessionmaker, partner_id=sleeper.id)} == {"sent"}


async def test_muted_rows_are_never_sent(sessionmaker, core) -> None:
    async with telegram() as (tg, bot, calls):
        partner = await add_partner(sessionmaker, tg, 501, prefs=Prefs(muted=frozenset({Kind.LOW_STOCK})))
        await add_alert(sessionmaker, partner, Kind.LOW_STOCK, "low:1", low_stock())  # muted when queued
        await add_alert(sessionmaker, partner, Kind.CANCELLED, "c:1",
                        {"marketplace": "uzum", "shop": "S", "integration_id": "i", "order_id": "7", "total": "1",
                         "currency": "UZS"})
        # muted after it was queued: the sender checks again
        async with sessionmaker() as session:
            await session.execute(update(Partner).where(Partner.id == partner.id).values(
                notification_prefs=Prefs(muted=frozenset({Kind.LOW_STOCK, Kind.CANCELLED})).to_json()))
            await session.commit()
        await add_alert(sessionmaker, partner, Kind.RECOVERED, "r:1",
                        {"integration_id": "i", "marketplace": "ozon", "shop": "S"})

        notifier = OutboxSender(bot, sessionmaker, core)
        assert await notifier.drain_once() == 1
        assert [m.text.split(" works")[0] for m in tg.messages(501)] == ["🟢 Ozon · S"]
        assert {r.dedupe_key: r.status for r in await outbox(sessionmaker)} == {
            "low:1": "muted", "c:1": "muted", "r:1": "sent"}
        assert await notifier.drain_once() == 0


async def test_429_pauses_everything_and_loses_nothing(sessionmaker, core) -> None:
    async with telegram() as (tg, bot, calls):
        partners = [await add_partner(sessionmaker, tg, 600 + n) for n in range(5)]
        for partner in partners:
            for n in range(2):
                await add_alert(sessionmaker, partner, Kind.LOW_STOCK, f"low:{partner.telegram_id}:{n}", low_stock(n))
        tg.inject("sendMessage", 429, retry_after=2)
        notifier = OutboxSender(bot, sessionmaker, core, per_chat_interval=0.05, retry_after_scale=0.25)  # 0.5 s
        assert await notifier.drain_once() == 10
        assert notifier.stats["retry_after"] == 1 and tg.stats["429"] == 1
        for partner in partners:
            assert len(tg.messages(partner.telegram_id)) == 2
        assert {r.status for r in await outbox(sessionmaker)} == {"sent"}
        refused_at = next(c[2] for c in calls.log if c[3] == "TelegramRetryAfter")
        later = [c[1] for c in calls.log if c[1] > refused_at]
        assert later and min(later) >= refused_at + 0.5 - 0.01  # nothing sent during the pause


async def test_403_marks_the_partner_unreachable_and_stops(sessionmaker, core) -> None:
    async with telegram() as (tg, bot, calls):
        blocked = await add_partner(sessionmaker, tg, 701)
        fine = await add_partner(sessionmaker, tg, 702)
        for n in range(3):
            await add_alert(sessionmaker, blocked, Kind.LOW_STOCK, f"low:b{n}", low_stock(n))
        await add_alert(sessionmaker, fine, Kind.LOW_STOCK, "low:f", low_stock())
        tg.block(701)

        notifier = OutboxSender(bot, sessionmaker, core, per_chat_interval=0.05)
        assert await notifier.drain_once() == 1
        assert len(calls.to(701)) == 1  # one refusal, then no more tries
        rows = await outbox(sessionmaker, partner_id=blocked.id)
        assert {r.status for r in rows} == {"failed"} and all("blocked" in r.error for r in rows)
        async with sessionmaker() as session:
            assert (await session.get(Partner, blocked.id)).status == "unreachable"
        assert len(tg.messages(702)) == 1

        # later alerts for an unreachable partner wait (a /start makes the partner active again)
        await add_alert(sessionmaker, blocked, Kind.RECOVERED, "rec:b",
                        {"integration_id": "i", "marketplace": "ozon", "shop": "S"})
        assert await notifier.drain_once() == 0
        assert len(calls.to(701)) == 1
        assert (await outbox(sessionmaker, dedupe_key="rec:b"))[0].status == "pending"


async def test_bad_request_fails_the_row(sessionmaker, core) -> None:
    async with telegram() as (tg, bot, calls):
        refused = await add_partner(sessionmaker, tg, 801)
        never_started = await add_partner(sessionmaker, tg, 802, started=False)
        fine = await add_partner(sessionmaker, tg, 803)
        for partner in (refused, never_started, fine):
            await add_alert(sessionmaker, partner, Kind.LOW_STOCK, f"low:{partner.telegram_id}", low_stock())
        tg.inject("sendMessage", 400, chat_id=801, description="Bad Request: something odd")

        notifier = OutboxSender(bot, sessionmaker, core)
        assert await notifier.drain_once() == 1
        status = {r.dedupe_key: (r.status, r.error) for r in await outbox(sessionmaker)}
        assert status["low:801"][0] == "failed" and "something odd" in status["low:801"][1]
        assert status["low:802"][0] == "failed" and "chat not found" in status["low:802"][1]
        assert status["low:803"] == ("sent", None)
        assert await notifier.drain_once() == 0  # never tried again


async def test_server_errors_back_off_then_deliver(sessionmaker, core) -> None:
    clock = [time.time() + 5]  # ahead of the rows written below
    async with telegram() as (tg, bot, calls):
        partner = await add_partner(sessionmaker, tg, 851)
        await add_alert(sessionmaker, partner, Kind.LOW_STOCK, "low:1", low_stock())
        tg.inject("sendMessage", 502)
        notifier = OutboxSender(bot, sessionmaker, core, clock=lambda: clock[0])
        assert await notifier.drain_once() == 0
        row = (await outbox(sessionmaker))[0]
        assert (row.status, row.attempts) == ("pending", 1) and row.next_attempt_at >= int(clock[0]) + 4
        assert "TelegramServerError" in row.error
        clock[0] += 10
        assert await notifier.drain_once() == 1
        assert (await outbox(sessionmaker))[0].status == "sent"


async def test_a_row_that_cannot_be_rendered_fails_alone(sessionmaker, core) -> None:
    async with telegram() as (tg, bot, calls):
        partner = await add_partner(sessionmaker, tg, 901)
        await add_alert(sessionmaker, partner, Kind.NEW_ORDER, "o:1", order("R-1"))
        await add_alert(sessionmaker, partner, Kind.NEW_ORDER, "o:2", order("R-2", ship_by="soon"))  # type: ignore[arg-type]
        await add_alert(sessionmaker, partner, Kind.NEW_ORDER, "o:3", order("R-3"))
        await add_alert(sessionmaker, partner, "no_such_kind", "x:1", {})

        notifier = OutboxSender(bot, sessionmaker, core)
        assert await notifier.drain_once() == 1
        status = {r.dedupe_key: r.status for r in await outbox(sessionmaker)}
        assert status == {"o:1": "sent", "o:2": "failed", "o:3": "sent", "x:1": "failed"}
        (message,) = tg.messages(901)
        assert message.text.startswith("🛒 2 new orders") and "R-1" in message.text and "R-3" in message.text


async def test_restart_sends_rows_left_sending(sessionmaker, core) -> None:
    async with telegram() as (tg, bot, calls):
        partner = await add_partner(sessionmaker, tg, 1001)
        for n in range(3):
            await add_alert(sessionmaker, partner, Kind.LOW_STOCK, f"low:{n}", low_stock(n))
        async with sessionmaker() as session:  # the last process died with two rows handed to Telegram
            await session.execute(update(OutboxMessage).where(OutboxMessage.dedupe_key.in_(["low:0", "low:1"]))
                                  .values(status="sending"))
            await session.commit()

        notifier = OutboxSender(bot, sessionmaker, core, per_chat_interval=0.05)
        assert await notifier.drain_once() == 3
        assert notifier.recovered_in_flight == 2
        rows = await outbox(sessionmaker)
        assert {r.status for r in rows} == {"sent"}
        # the resent rows stay marked: a duplicate the partner may have seen is explained
        assert [r.error for r in rows] == ["recovered_in_flight", "recovered_in_flight", None]
        assert len(tg.messages(1001)) == 3
        assert await OutboxSender(bot, sessionmaker, core).drain_once() == 0  # a second start finds nothing to redo


async def test_run_wake_and_stop(sessionmaker, core) -> None:
    async with telegram() as (tg, bot, calls):
        partner = await add_partner(sessionmaker, tg, 1101)
        notifier = OutboxSender(bot, sessionmaker, core, per_chat_interval=0.05, poll_interval=30)
        task = asyncio.create_task(notifier.run())
        await asyncio.sleep(0.1)
        await add_alert(sessionmaker, partner, Kind.LOW_STOCK, "low:1", low_stock())
        started = time.monotonic()
        notifier.wake()
        while not tg.messages(1101):
            assert time.monotonic() - started < 1, "not sent after wake()"
            await asyncio.sleep(0.01)
        await notifier.stop()
        await asyncio.wait_for(task, 2)
        assert (await outbox(sessionmaker))[0].status == "sent"


async def test_order_alerts_have_open_buttons(core) -> None:
    texts = Texts(core, "en")
    partner = Recipient("p", 1, "en", "Asia/Tashkent", None)
    one = {**order("A-1"), "order_key": "k1"}
    _, markup = alert_texts.render([make_row(Kind.NEW_ORDER, one)], texts, partner)
    assert [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard] == \
        [[("🧾 Open the order", "od:open:k1:alert")]]
    group = [make_row(Kind.NEW_ORDER, {**order(f"B-{n}"), "order_key": f"k{n}", "placed_at": n}) for n in range(3)]
    _, markup = alert_texts.render(group, texts, partner)
    assert [[b.text for b in row] for row in markup.inline_keyboard] == [["🧾 B-0", "🧾 B-1"], ["🧾 B-2"]]
    _, markup = alert_texts.render([make_row(Kind.CANCELLED, {**one, "integration_id": "i"})], texts, partner)
    assert markup.inline_keyboard[0][0].callback_data == "od:open:k1:alert"
    _, markup = alert_texts.render([make_row(Kind.NEW_ORDER, order("C-1"))], texts, partner)  # queued by an older version
    assert markup is None
